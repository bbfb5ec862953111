"""What a job handler gets: the connection's connectors, settings and the shared services.

What the flows remember between jobs (pages read ahead, the locks of orders being posted, a
full sync's bulk read) lives in one :class:`FlowMemory` per daemon, which the supervisor
makes and every FlowContext of that daemon carries: two daemons in one process share none of
it, and nothing of the kind is kept at module level.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from syncwright.connectors.base import ChannelConnector, SourceConnector
from syncwright.daemon.clock import Clock
from syncwright.daemon.flows.readahead import ReadAhead
from syncwright.daemon.store.db import Store

if TYPE_CHECKING:
    from syncwright.daemon.jobs.job import Job
    from syncwright.daemon.jobs.queue import Queue

T = TypeVar("T")
R = TypeVar("R")

#: A handler's result: the writes that finish the job, run in the same transaction that marks
#: the job done (so "applied" and "done" can never disagree after a crash).
Commit = Callable[[sqlite3.Connection], None]
Handler = Callable[["FlowContext", "Job"], Awaitable[Commit | None]]


@dataclass(frozen=True, slots=True)
class FlowSettings:
    page_size: int = 500
    overlap: float = 120.0
    pull_mode: str = "auto"
    #: Orders (flows/orders.py): post only B2B orders; the channel system's name, which
    #: prefixes the reference an order is posted under in the back office.
    only_b2b_orders: bool = False
    #: Customers (flows/customers.py): write linked customers again when they changed.
    update_linked_customers: bool = False
    channel_name: str = ""
    #: flows/bulk_read.py: linked products from which full syncs read the channel in bulk.
    bulk_read_threshold: int = 2000


@dataclass(slots=True)
class FlowMemory:
    """What the flows of one daemon keep in memory between jobs; the supervisor owns it."""

    #: flows/readahead.py: the next page of a change pull, read while this one is written.
    readahead: ReadAhead = field(default_factory=ReadAhead)
    #: flows/orders.py: one lock per (connection, order id) while a job for that order runs.
    order_locks: dict[tuple[str, str], anyio.Lock] = field(default_factory=dict)
    #: flows/sale.py: one lock per (connection, normalised e-mail or account id) while an
    #: order's customer is looked up and created, so one new customer is created once.
    customer_locks: dict[tuple[str, str], anyio.Lock] = field(default_factory=dict)
    #: flows/bulk_read.py: per connection, ((run id, run start), the channel's hashes by
    #: product id, or None when the bulk read failed), for the latest full run.
    bulk_hashes: dict[str, tuple[tuple[int, float], dict[str, str] | None]] = field(
        default_factory=dict
    )


@dataclass(frozen=True, slots=True)
class FlowContext:
    connection: str
    settings: FlowSettings
    source: SourceConnector
    channel: ChannelConnector
    store: Store
    queue: Queue
    clock: Clock
    #: The daemon's (Services.memory); a context made on its own gets a memory of its own.
    memory: FlowMemory = field(default_factory=FlowMemory)

    def now(self) -> float:
        return self.clock.now()


#: Batches of one page written at the same time: the remote works on one while we encode the
#: next. Small, so one connection never floods a channel.
PARALLEL_BATCHES = 4


async def map_batches(
    items: Sequence[T],
    size: int,
    call: Callable[[Sequence[T]], Awaitable[R]],
    keep: Callable[[list[tuple[Sequence[T], R]]], Awaitable[None]] | None = None,
) -> list[tuple[Sequence[T], R]]:
    """``call`` each batch of ``items`` (up to PARALLEL_BATCHES at once); results in order.
    The first failure cancels the rest and is raised as itself, not as a group; before that,
    ``keep`` gets the batches that finished (a page refused by its budget midway, or meeting
    a server error, records what it wrote, so its retry does not write it again)."""
    batches = list(chunks(items, size))
    results: list[Any] = [None] * len(batches)
    finished = [False] * len(batches)
    limiter = anyio.CapacityLimiter(PARALLEL_BATCHES)

    async def one(index: int, batch: Sequence[T]) -> None:
        async with limiter:
            results[index] = await call(batch)
            finished[index] = True

    try:
        async with anyio.create_task_group() as tg:
            for index, batch in enumerate(batches):
                tg.start_soon(one, index, batch)
    except BaseExceptionGroup as group:
        first: BaseException = group
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        done = [(b, r) for b, r, ok in zip(batches, results, finished, strict=True) if ok]
        if keep is not None and done and isinstance(first, Exception):
            await keep(done)
        raise first from None
    return list(zip(batches, results, strict=True))


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]


async def fetch_in(
    store: Store,
    sql_head: str,
    head_params: Sequence[Any],
    values: Sequence[Any],
    sql_tail: str = "",
) -> list[sqlite3.Row]:
    """Run ``sql_head IN (values) sql_tail`` in chunks small enough for SQLite's variable limit."""
    rows: list[sqlite3.Row] = []
    for chunk in chunks(values, 900):
        marks = ",".join("?" * len(chunk))
        rows += await store.fetchall(f"{sql_head} ({marks}) {sql_tail}", (*head_params, *chunk))
    return rows
