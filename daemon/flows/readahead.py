"""Read-ahead for change pulls: the next page is read while this page is written.

A pass is a chain of pull jobs, one page each, strictly one after the other (the cursor moves
only with a page's commit). Without read-ahead the source sits idle while the channel takes a
page's writes, and the channel sits idle while the next page is read and decoded. So a pull
job that knows its pass goes on starts reading the next page (the same query the next job
will make) beside its own writes, and leaves the result here; the next job takes it instead of
asking again. Nothing about the cursor changes: the next job applies that page and commits it
exactly as if it had read it itself.

The page read ahead is only used by a job asking the very same query of the same connection
and flow within ``MAX_AGE`` seconds of reading it; anything else (a retry after an error, a
restart, an older page) reads afresh. A read-ahead that fails is dropped silently: the next job
makes the call itself and meets the error through the normal retry policy. A first-pass page
held back until the pass it follows catches up (flows/pull.py) is kept here too, ageing from
its first read. One page per (connector, flow) is kept, in the memory of the daemon that read
it: a :class:`ReadAhead` belongs to the supervisor's FlowMemory (flows/context.py).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio

from syncwright.connectors.base import ChangeQuery, Page

T = TypeVar("T")

#: Seconds a page read ahead stays usable. The next job normally takes it within milliseconds;
#: an older page could miss changes the next job would otherwise see sooner.
MAX_AGE = 10.0


@dataclass(frozen=True, slots=True)
class _Ahead:
    query: ChangeQuery
    read_at: float
    page: Page[Any]


def _same(a: ChangeQuery, b: ChangeQuery) -> bool:
    """Equal queries; ``after`` may come back from the state file as a list."""
    after_a = tuple(a.after) if a.after is not None else None
    after_b = tuple(b.after) if b.after is not None else None
    return (a.since, after_a, a.limit) == (b.since, after_b, b.limit)


class ReadAhead:
    """The pages one daemon has read ahead, one per (scope, flow). The supervisor owns it
    (FlowMemory), so two daemons in one process never hand each other a page."""

    def __init__(self) -> None:
        self._pages: dict[tuple[str, str], _Ahead] = {}

    def take(self, scope: str, flow: str, query: ChangeQuery) -> tuple[Page[Any], float] | None:
        """The page read ahead for exactly ``query`` and when it was read (time.monotonic), if
        fresh; whatever was kept is dropped."""
        ahead = self._pages.pop((scope, flow), None)
        if ahead is None or not _same(ahead.query, query):
            return None
        if time.monotonic() - ahead.read_at > MAX_AGE:
            return None
        return ahead.page, ahead.read_at

    def keep(
        self, scope: str, flow: str, query: ChangeQuery, page: Page[Any], read_at: float | None
    ) -> None:
        """Hold ``page`` (the answer to ``query``, read at ``read_at``; None: now) for the job
        that asks again, e.g. a first pass page put back while it waits; it ages from its first
        read."""
        self._put(
            scope, flow, _Ahead(query, time.monotonic() if read_at is None else read_at, page)
        )

    def _put(self, scope: str, flow: str, ahead: _Ahead) -> None:
        """Store ``ahead``; pages too old to be used are dropped on the way (a pass that
        stopped, a connector replaced by a reload), so nothing is held for long."""
        now = time.monotonic()
        for key in [k for k, old in self._pages.items() if now - old.read_at > MAX_AGE]:
            del self._pages[key]
        self._pages[(scope, flow)] = ahead

    async def _read(
        self,
        scope: str,
        flow: str,
        query: ChangeQuery,
        fetch: Callable[[ChangeQuery], Awaitable[Page[Any]]],
    ) -> None:
        try:
            page = await fetch(query)
        except Exception:  # the next job reads the page itself and meets the error there
            return
        self._put(scope, flow, _Ahead(query, time.monotonic(), page))

    async def beside(
        self,
        scope: str,
        flow: str,
        next_query: ChangeQuery | None,
        fetch: Callable[[ChangeQuery], Awaitable[Page[Any]]],
        work: Awaitable[T],
    ) -> T:
        """Await ``work`` while the page for ``next_query`` (None: no next page) is read ahead.
        Returns when both are done; an error of ``work`` is raised as itself and stops the
        read-ahead."""
        if next_query is None:
            return await work
        result: list[T] = []

        async def run_work() -> None:
            result.append(await work)

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._read, scope, flow, next_query, fetch)
                await run_work()
        except BaseExceptionGroup as group:
            first: BaseException = group
            while isinstance(first, BaseExceptionGroup):
                first = first.exceptions[0]
            raise first from None
        return result[0]
