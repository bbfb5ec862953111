"""A small sd_notify client: tell systemd we are ready, reloading, stopping, alive, and why.

systemd passes ``NOTIFY_SOCKET`` (a datagram socket path; a leading ``@`` names one in the
abstract namespace) to a ``Type=notify`` service, and ``WATCHDOG_USEC`` when ``WatchdogSec=`` is
set. Without ``NOTIFY_SOCKET`` every call is a no-op, so the daemon runs the same by hand. A send
that fails is logged once and never raised: systemd being gone must not stop the daemon.

The watchdog ping runs as a task in the daemon's event loop, so a loop that is stuck (a blocking
call, a busy coroutine) stops the pings and systemd restarts the service.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import anyio
import structlog
from anyio.abc import TaskStatus

log = structlog.get_logger("syncwright.sdnotify")

#: STATUS= is shown by `systemctl status` on one line; keep it short.
MAX_STATUS = 200


def _address(raw: str) -> str | None:
    if not raw:
        return None
    if raw.startswith("@"):
        return "\0" + raw[1:]
    if raw.startswith("/"):
        return raw
    return None  # vsock and other address families are not supported


class SdNotify:
    """Sends sd_notify messages to the socket named by ``NOTIFY_SOCKET`` (if any)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.address = _address(env.get("NOTIFY_SOCKET", ""))
        self.watchdog_interval = _watchdog_interval(env)
        self._sock: socket.socket | None = None
        self._warned = False
        self.status = ""

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, **fields: str | int) -> bool:
        """Send one message, e.g. ``send(READY=1, STATUS="3 connections")``; True if sent."""
        if self.address is None or not fields:
            return False
        text = "\n".join(f"{key}={value}" for key, value in fields.items())
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.setblocking(False)
            self._sock.sendto(text.encode(), self.address)
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("sdnotify.failed", socket=self.address.lstrip("\0"), error=str(exc))
            return False
        return True

    def ready(self, status: str | None = None) -> None:
        self.send(READY=1, **self._status_field(status))

    def reloading(self) -> None:
        """RELOADING=1 with the monotonic time, as Type=notify-reload also expects."""
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.send(RELOADING=1, MONOTONIC_USEC=usec, STATUS="reloading the config")

    def stopping(self) -> None:
        self.send(STOPPING=1, STATUS="stopping")

    def set_status(self, status: str) -> None:
        """STATUS=, sent only when it changed."""
        status = " ".join(status.split())[:MAX_STATUS]
        if status != self.status:
            self.send(STATUS=status)
            self.status = status

    def _status_field(self, status: str | None) -> dict[str, str]:
        if status is None:
            return {}
        self.status = " ".join(status.split())[:MAX_STATUS]
        return {"STATUS": self.status}

    async def watchdog(
        self,
        status: Callable[[], str] | None = None,
        *,
        task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """Ping WATCHDOG=1 at half the interval systemd asked for, refreshing STATUS= as well.
        Without a watchdog it only refreshes the status (every 5 s)."""
        task_status.started()
        if not self.enabled:
            return
        every = self.watchdog_interval / 2 if self.watchdog_interval else 5.0
        while True:
            if status is not None:
                try:
                    self.set_status(status())
                except Exception:  # a broken summary must not stop the pings
                    log.exception("sdnotify.status_failed")
            if self.watchdog_interval:
                self.send(WATCHDOG=1)
            await anyio.sleep(every)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def _watchdog_interval(env: Mapping[str, str]) -> float | None:
    """Seconds from WATCHDOG_USEC, when it is meant for this process (WATCHDOG_PID)."""
    raw = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None
    try:
        usec = int(raw)
    except ValueError:
        return None
    return usec / 1e6 if usec > 0 else None


class _Actor(Protocol):
    state: str
    running: Mapping[Any, Any]


class _Slot(Protocol):
    actor: _Actor
    restarts: int


class _Supervised(Protocol):
    @property
    def slots(self) -> Mapping[str, Any]: ...


def status_line(supervisor: _Supervised) -> str:
    """The one-line STATUS= shown by `systemctl status`: connections by state, jobs running."""
    slots: list[_Slot] = list(supervisor.slots.values())
    if not slots:
        return "idle: no connections configured"
    states: dict[str, int] = {}
    for slot in slots:
        states[slot.actor.state] = states.get(slot.actor.state, 0) + 1
    running = sum(len(slot.actor.running) for slot in slots)
    restarts = sum(slot.restarts for slot in slots)
    parts = [f"{len(slots)} connection{'s' if len(slots) != 1 else ''}"]
    parts.append(", ".join(f"{n} {state}" for state, n in sorted(states.items())))
    parts.append(f"{running} job{'s' if running != 1 else ''} running")
    if restarts:
        parts.append(f"{restarts} actor restart{'s' if restarts != 1 else ''}")
    return "; ".join(parts)
