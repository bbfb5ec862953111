"""structlog set-up: JSON lines for journald, readable console output on a terminal, no secrets.

Event names are stable (``job.done``, ``budget.blocked``); context such as connection, flow and
job id is bound by the caller. A processor redacts anything that looks like a credential, and
every secret value the daemon has read, wherever it appears, tracebacks included: they are
rendered as Python prints them (no local variables) before the redaction.

Who knows which values are secret: each daemon's :class:`Redactor`, made and filled by its
supervisor (the credentials of its config, the SMTP password when read). structlog's processor
chain is one per process, so it cannot hold one daemon's secrets without showing them to
another daemon in the same process (tests run several). The chain therefore holds one
:func:`redact` processor that asks which redactor is in force where the event is logged:

- inside a daemon, its own: ``Supervisor.run`` binds its redactor to the context it runs in
  (:meth:`Redactor.bound`, a ContextVar), and every task and worker thread the daemon starts
  inherits that context;
- anywhere else, the redactor given to :func:`configure` (``syncwright run`` passes its
  supervisor's), so a line logged after the daemon stopped, or from a thread that does not
  carry the context, is still redacted.

Keys that look like credentials are redacted everywhere, whatever the redactor.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog

from syncwright.daemon.logs.journal import is_journal, with_priority

_SECRET_KEYS = re.compile(r"(pass(word)?|secret|token|api_?key|authorization|credential)", re.I)
REDACTED = "[redacted]"


class Redactor:
    """The secret values one daemon must never print. Thread-safe; values are only added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()

    def add(self, value: str) -> None:
        """Never print ``value``: every log event of this daemon that contains it gets it
        replaced. Values shorter than 4 characters are ignored (they would blank out text)."""
        if value and len(value) >= 4 and value not in self._secrets:
            with self._lock:
                self._secrets = self._secrets | {value}

    def __contains__(self, value: object) -> bool:
        return value in self._secrets

    @contextmanager
    def bound(self) -> Iterator[None]:
        """Make this the redactor in force for the current context and those it starts."""
        token = _IN_FORCE.set(self)
        try:
            yield
        finally:
            _IN_FORCE.reset(token)


#: The redactor of the daemon whose context this is (Redactor.bound); None outside daemons.
_IN_FORCE: ContextVar[Redactor | None] = ContextVar("syncwright_redactor", default=None)


def redact(
    _logger: Any, _name: str, event: MutableMapping[str, Any], fallback: Redactor | None = None
) -> MutableMapping[str, Any]:
    """The processor: redact with the redactor in force here, else ``fallback``, else keys
    only."""
    redactor = _IN_FORCE.get() or fallback
    return _redact(frozenset() if redactor is None else redactor._secrets, event)


def _redact(secrets: frozenset[str], event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key != "event" and _SECRET_KEYS.search(key) and not key.endswith("_ref"):
            event[key] = REDACTED
        else:
            event[key] = _scrub(secrets, event[key])
    return event


def _scrub(secrets: frozenset[str], value: Any) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {
            k: (REDACTED if _SECRET_KEYS.search(str(k)) else _scrub(secrets, v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_scrub(secrets, v) for v in value)
    return value


def configure(
    level: str = "info",
    fmt: str = "auto",
    stream: Any = None,
    *,
    redactor: Redactor | None = None,
) -> None:
    """Set up structlog for the process. ``fmt``: auto (json unless a tty), json or console.
    ``redactor``: the secrets to redact where no daemon's own redactor is in force."""
    stream = stream or sys.stderr
    journal = is_journal(stream)
    if fmt == "auto":
        fmt = "console" if stream.isatty() and not journal else "json"
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer(sort_keys=False)
    else:
        # Plain tracebacks: the default (rich) one prints every frame's local variables,
        # credentials among them, past the redaction.
        renderer = structlog.dev.ConsoleRenderer(
            colors=stream.isatty() and not journal,
            exception_formatter=structlog.dev.plain_traceback,
        )

    def redact_here(
        logger: Any, name: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        return redact(logger, name, event, redactor)

    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        # A traceback becomes text (Python's own format: no local variables) before the
        # redaction, in both formats, so a secret in an exception's message is redacted too.
        structlog.processors.format_exc_info,
        redact_here,
    ]
    # Under systemd each line carries its priority, for journalctl -p (daemon/logs/journal.py).
    processors.append(with_priority(renderer) if journal else renderer)
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
