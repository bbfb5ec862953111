"""Helpers for the X-Series tests: an in-process emulator, a connector pointed at it, a gate
that records what the connector reported, and passes that page a feed to its end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio

from syncwright.connectors.base import CallGate, ChangeQuery, OpenGate, Page, SystemSpec
from syncwright.connectors.errors import PayloadError, RateLimitedError, TransientError
from syncwright.connectors.lightspeed_x.connector import LightspeedX
from syncwright.connectors.lightspeed_x.emulator.app import Emulator
from syncwright.connectors.lightspeed_x.settings import LightspeedXSettings

TOKEN = "lsxs_pt_test_token"
HOOK_KEY = "a-long-random-webhook-key-for-tests"
T = TypeVar("T")


@asynccontextmanager
async def running(**options: Any) -> AsyncIterator[Emulator]:
    emulator = Emulator(token=TOKEN, **options)
    async with anyio.create_task_group() as tg:
        await tg.start(emulator.serve)
        try:
            yield emulator
        finally:
            tg.cancel_scope.cancel()


def connector(
    emulator: Emulator, gate: CallGate | None = None, timeout: float = 30.0, **settings: Any
) -> LightspeedX:
    spec = SystemSpec(
        "lsx",
        "lightspeed-x",
        emulator.url,
        LightspeedXSettings(sale_register=settings.pop("sale_register", "Register 1"), **settings),
        {"token": TOKEN},
        timeout=timeout,
    )
    return LightspeedX(spec, gate or OpenGate())


def run(fn: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(fn)


class RecordingGate:
    """Counts acquisitions and keeps every report."""

    def __init__(self) -> None:
        self.acquired = 0
        self.reports: list[tuple[int, dict[str, str]]] = []

    async def acquire(self, cost: float = 1.0) -> None:
        self.acquired += 1

    def report(self, status: int, headers: Mapping[str, str], *, cost: float | None = None) -> None:
        self.reports.append((status, dict(headers)))


Fetch = Callable[[ChangeQuery], Awaitable[Page[Any]]]


async def drain(
    fetch: Fetch, since: str | None = None, *, limit: int = 1000, retries: int = 0
) -> tuple[list[Any], str | None]:
    """Every item of one pass and the pass's high-water token, as the daemon pages it.
    ``retries``: how many transient failures (and unreadable bodies) a page may have."""
    items: list[Any] = []
    after: tuple[str, str] | None = None
    high: str | None = None
    while True:
        for attempt in range(retries + 1):
            try:
                page = await fetch(ChangeQuery(since=since, after=after, limit=limit))
                break
            except (TransientError, PayloadError, RateLimitedError):
                if attempt == retries:
                    raise
        items.extend(page.items)
        if page.last_key is not None:
            assert after is None or int(page.last_key[0]) > int(after[0])
            high = page.last_key[0]
        if page.complete:
            return items, high
        after = page.resume_key
