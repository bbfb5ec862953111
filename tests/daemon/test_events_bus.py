"""The event hub: fan-out only while someone listens, bursts summarised per client and window,
and events of a store transaction announced only once it commits."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import anyio
import pytest

from syncwright.daemon import synclog
from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.clock import FakeClock
from syncwright.daemon.events_bus import Event, EventHub
from syncwright.daemon.store.db import Store


class Ticker:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _done(job: int, connection: str = "demo") -> Event:
    return Event("job.done", 1000.0 + job, connection=connection, job=job, kind="sync_item")


def test_inactive_until_someone_subscribes() -> None:
    hub = EventHub()
    assert hub.active is False
    sub = hub.subscribe()
    assert hub.active is True
    hub.publish(_done(1))
    assert [e.job for e in sub.drain()] == [1]
    assert sub.drain() == []
    hub.unsubscribe(sub)
    assert hub.active is False
    hub.publish(_done(2))  # nobody listens: nothing kept anywhere
    assert sub.drain() == []


def test_a_burst_is_summarised_per_window_and_connection() -> None:
    clock = Ticker()
    hub = EventHub(per_kind=20, window=0.5, monotonic=clock)
    sub = hub.subscribe()
    for n in range(10_000):
        hub.publish(_done(n, "a" if n % 2 else "b"))
    hub.publish(Event("error.added", 5.0, connection="a", item="SKU-1", detail="bad price"))
    out = sub.drain()
    detailed = [e for e in out if not e.summary]
    summaries = {(e.event, e.connection): e.count for e in out if e.summary}
    assert [e.job for e in detailed if e.event == "job.done"] == list(range(20))
    # Another kind has its own allowance: the error is not lost in the burst.
    assert [e.item for e in detailed if e.event == "error.added"] == ["SKU-1"]
    assert summaries == {("job.done", "a"): 4990, ("job.done", "b"): 4990}
    assert sum(summaries.values()) + 20 == 10_000
    # The same window goes on: more events only count.
    hub.publish(_done(10_000))
    assert [(e.summary, e.count) for e in sub.drain()] == [(True, 1)]
    # A new window allows details again.
    clock.t += 0.5
    hub.publish(_done(10_001))
    assert [(e.job, e.summary) for e in sub.drain()] == [(10_001, False)]


def test_every_subscriber_has_its_own_allowance_and_buffer_bound() -> None:
    clock = Ticker()
    hub = EventHub(per_kind=5, window=0.5, max_buffer=8, monotonic=clock)
    first, second = hub.subscribe(), hub.subscribe()
    for kind in ("job.done", "job.failed", "error.added"):
        for n in range(6):
            hub.publish(Event(kind, 1.0, connection="c", job=n))
    for sub in (first, second):
        out = sub.drain()
        assert len([e for e in out if not e.summary]) == 8  # max_buffer across kinds
        assert sum(e.count for e in out) == 18  # nothing is lost: the rest is counted


def test_many_connections_merge_into_one_summary_per_kind() -> None:
    hub = EventHub(per_kind=0, monotonic=Ticker())
    sub = hub.subscribe()
    for n in range(1000):
        hub.publish(_done(n, f"conn-{n}"))
    out = sub.drain()
    assert len(out) <= 65
    assert sum(e.count for e in out) == 1000
    assert any(e.connection is None for e in out)


def test_sync_log_events_wait_for_the_commit(tmp_path: Path) -> None:
    def add(conn: sqlite3.Connection) -> None:
        synclog.add_error(conn, "demo", "products", "P-1", "price missing", 10.0)
        synclog.add_error(conn, "demo", "products", "P-2", "no stock", 10.0)

    def add_then_fail(conn: sqlite3.Connection) -> None:
        synclog.add_error(conn, "demo", "products", "P-3", "rolled back", 11.0)
        raise RuntimeError("boom")

    def resolve(conn: sqlite3.Connection) -> None:
        synclog.resolve(conn, "demo", "products", ["P-1", "never-there"])

    hub = EventHub()  # the daemon's hub, which its store announces commits to

    async def main() -> None:
        store = await Store.open(tmp_path / "state.db", hub=hub)
        async with anyio.create_task_group() as tg:
            await tg.start(store.serve)
            await store.write(add)
            with pytest.raises(RuntimeError):
                await store.write(add_then_fail)
            await store.write(resolve)
            store.stop_writes()
        await store.aclose()

    sub = hub.subscribe()
    try:
        anyio.run(main)
        out = [(e.event, e.item, e.detail) for e in sub.drain()]
    finally:
        hub.unsubscribe(sub)
    assert out == [
        ("error.added", "P-1", "price missing"),
        ("error.added", "P-2", "no stock"),
        ("error.resolved", "P-1", None),
    ]


def test_a_budget_block_is_announced_with_its_end() -> None:
    clock = FakeClock(5000.0)
    hub = EventHub()
    budget = Budget("shop", (), clock=clock, rng=random.Random(1), hub=hub)
    sub = hub.subscribe()
    try:
        until = budget.block(30.0, "429 Too Many Requests")
        budget.block(1.0, "a shorter block changes nothing")
        out = sub.drain()
    finally:
        hub.unsubscribe(sub)
    assert [(e.event, e.system, e.until, e.detail) for e in out] == [
        ("budget.blocked", "shop", until, "429 Too Many Requests")
    ]
    assert 5030.0 <= until <= 5040.0
