"""structlog set-up: JSON lines for journald, readable console output on a terminal, no secrets.

Event names are stable (``job.done``, ``budget.blocked``); context such as connection, flow and
job id is bound by the caller. A processor redacts anything that looks like a credential, and
every value registered with :func:`register_secret` wherever it appears.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from syncwright.daemon.logs.journal import is_journal, with_priority

_SECRET_KEYS = re.compile(r"(pass(word)?|secret|token|api_?key|authorization|credential)", re.I)
_secrets: set[str] = set()
REDACTED = "[redacted]"


def register_secret(value: str) -> None:
    """Never print this value: every log event that contains it gets it replaced."""
    if value and len(value) >= 4:
        _secrets.add(value)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        for secret in _secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {
            k: (REDACTED if _SECRET_KEYS.search(str(k)) else _scrub(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key != "event" and _SECRET_KEYS.search(key) and not key.endswith("_ref"):
            event[key] = REDACTED
        else:
            event[key] = _scrub(event[key])
    return event


def configure(level: str = "info", fmt: str = "auto", stream: Any = None) -> None:
    """Set up structlog for the process. ``fmt``: auto (json unless a tty), json or console."""
    stream = stream or sys.stderr
    journal = is_journal(stream)
    if fmt == "auto":
        fmt = "console" if stream.isatty() and not journal else "json"
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer(sort_keys=False)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=stream.isatty() and not journal)
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        redact,
    ]
    if fmt == "json":
        processors.append(structlog.processors.format_exc_info)
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
