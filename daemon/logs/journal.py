"""journald support for the logs: recognise stderr connected to the journal, and mark each line
with its syslog priority (``<3>`` error, ``<4>`` warning, ``<6>`` info, ``<7>`` debug) so
``journalctl -p warning`` and the journal's colouring work.

systemd sets ``JOURNAL_STREAM=<device>:<inode>`` for a service whose output goes to the journal;
the prefix is added only when stderr is that very stream (not when the output is piped
elsewhere), and journald strips it (``SyslogLevelPrefix=yes``, the default).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

PRIORITY = {"critical": 2, "error": 3, "exception": 3, "warning": 4, "info": 6, "debug": 7}


def is_journal(stream: Any, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``stream`` is the journal stream systemd gave this process."""
    env = os.environ if environ is None else environ
    device, _, inode = env.get("JOURNAL_STREAM", "").partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        st = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return st.st_dev == int(device) and st.st_ino == int(inode)


Renderer = Callable[[Any, str, MutableMapping[str, Any]], Any]


def with_priority(renderer: Renderer) -> Renderer:
    """Wrap the final renderer: prefix the rendered line with the event's syslog priority."""

    def render(logger: Any, name: str, event: MutableMapping[str, Any]) -> Any:
        level = str(event.get("level", name)).lower()
        line = renderer(logger, name, event)
        return f"<{PRIORITY.get(level, 6)}>{line}"

    return render
