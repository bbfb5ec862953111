"""Injected time: the daemon asks a Clock, so tests drive a fake one and never sleep."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

import anyio


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock seconds since the epoch (UTC)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that moves only when told; ``sleep`` advances it instead of waiting."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, when: float) -> None:
        self._now = when

    async def sleep(self, seconds: float) -> None:
        self._now += max(0.0, seconds)
        await anyio.lowlevel.checkpoint()


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def iso(ts: float | None) -> str | None:
    """ISO 8601 UTC with a Z, as every operator-facing time is shown."""
    if ts is None:
        return None
    return utc(ts).isoformat(timespec="seconds").replace("+00:00", "Z")
