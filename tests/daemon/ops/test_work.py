"""Progress of a first change pass and of a backlog (daemon/ops/work.py): the arithmetic, the
queries on a real state file, the one-line descriptions and the backlog's events."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import pytest

from syncwright.daemon.budget.budget import BudgetStats, WindowStats
from syncwright.daemon.clock import FakeClock
from syncwright.daemon.events_bus import EventHub
from syncwright.daemon.ops import work
from syncwright.daemon.ops.progress import describe
from syncwright.daemon.store.migrations import migrate

SYSTEMS = {"demo": ("erp", "shop")}
NOW = 10_000.0


def stats(name: str, per_minute: float) -> BudgetStats:
    reserve = {0: 0.0, 1: 0.05, 2: 0.15, 3: 0.3, 4: 0.3}
    window = WindowStats("minute", "rolling", "UTC", per_minute, 0.0, per_minute, None, reserve)
    return BudgetStats(name, 0.0, None, None, {}, frozenset(), (window,))


BUDGETS = {"erp": stats("erp", 100), "shop": stats("shop", 40)}


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(tmp_path / "state.db")
    migrate(db, "state.db")
    return db


def jobs(
    db: sqlite3.Connection, n: int, *, cls: int, state: str = "pending", **cols: float
) -> None:
    for _ in range(n):
        db.execute(
            "INSERT INTO jobs (connection, kind, class, state, run_at, enqueued_at, finished_at)"
            " VALUES ('demo', 'sync_item', ?, ?, ?, ?, ?)",
            (cls, state, cols.get("run_at", NOW - 5), cols["enqueued_at"], cols.get("finished")),
        )


def test_a_backlog_counts_jobs_done_since_its_oldest_became_due(conn: sqlite3.Connection) -> None:
    jobs(conn, 60, cls=1, enqueued_at=NOW - 700, run_at=NOW - 600)  # 60 left, due 10 min ago
    jobs(conn, 3, cls=4, enqueued_at=NOW - 900, run_at=NOW - 900)  # full-sync slices: aside
    jobs(conn, 30, cls=1, state="done", enqueued_at=NOW - 600, finished=NOW - 300)
    jobs(conn, 5, cls=1, state="done", enqueued_at=NOW - 900, finished=NOW - 900)  # before it
    found = work.collect_now(conn, NOW, {}, SYSTEMS, BUDGETS)
    (p,) = found["demo"]
    assert (p.kind, p.unit, p.items_done, p.items_total) == ("backlog", "jobs", 30, 90)
    assert p.rate_per_minute == pytest.approx(3.0)  # 30 jobs in 10 minutes
    # Class 1 may spend 95 % of the shop's 40/min: 38 calls/min, two a job: 60 jobs take
    # 3m10s at that pace, but 20 minutes at the backlog's own rate: the slower one counts.
    assert p.budget_calls_per_minute == pytest.approx(38.0)
    assert p.eta_seconds == pytest.approx(1200.0)
    text = describe(p.as_dict())
    assert text == (
        "backlog: 30 of 90 jobs done, 60 left, 3/min, about 20m left"
        " (the budgets allow 38 calls/min)"
    )


def test_a_few_fresh_jobs_are_no_backlog_but_one_old_enough_is(conn: sqlite3.Connection) -> None:
    jobs(conn, 3, cls=2, enqueued_at=NOW - 10, run_at=NOW - 10)
    assert work.collect_now(conn, NOW, {}, SYSTEMS, BUDGETS) == {}
    jobs(conn, 1, cls=2, enqueued_at=NOW - 120, run_at=NOW - 120)
    (p,) = work.collect_now(conn, NOW, {}, SYSTEMS, BUDGETS)["demo"]
    assert p.kind == "backlog" and p.items_total == 4 and p.items_done == 0
    # Nothing done yet: the time left is the budgets' pace alone (85 % of 40/min).
    assert p.eta_seconds == pytest.approx(4 * 2 / 34 * 60, abs=0.1)


def test_a_first_change_pass_shows_pages_items_and_rate_without_a_total(
    conn: sqlite3.Connection,
) -> None:
    conn.execute(
        "INSERT INTO cursors (connection, flow, value, pass_after, pass_started, pass_pages,"
        " pass_items, updated_at) VALUES ('demo', 'products', NULL, '[\"t\", \"9\"]', ?, 12,"
        " 1200, ?), ('demo', 'stock', '2026-01-01T00:00:00Z', NULL, NULL, 0, 0, ?),"
        " ('demo', 'products:audit', NULL, '[\"\", \"4\"]', ?, 1, 1, ?)",
        (NOW - 240, NOW, NOW, NOW - 240, NOW),
    )
    (p,) = work.collect_now(conn, NOW, {}, SYSTEMS, BUDGETS)["demo"]
    assert (p.kind, p.flows, p.pages_done, p.items_done) == ("first_pass", ("products",), 12, 1200)
    assert p.items_total is None and p.eta_seconds is None
    assert p.rate_per_minute == pytest.approx(300.0)
    assert p.budget_calls_per_minute == pytest.approx(34.0)  # recent: 85 % of the shop's 40
    assert describe(p.as_dict()) == (
        "first change pass of products: 1200 items in 12 pages, 300/min, total not known"
        " (the source does not say) (the budgets allow 34 calls/min)"
    )


def test_the_watcher_announces_a_backlog_at_once_then_every_so_often(
    conn: sqlite3.Connection,
) -> None:
    jobs(conn, 60, cls=1, enqueued_at=NOW - 60)
    clock = FakeClock(NOW)
    hub = EventHub()
    sub = hub.subscribe()

    async def fetch(sql: str, params: object) -> list[sqlite3.Row]:
        cursor = conn.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, params).fetchall()  # type: ignore[arg-type]

    watcher = work.BacklogWatcher(hub, fetch, clock, lambda: SYSTEMS, lambda: BUDGETS)

    async def main() -> list[int]:
        sent = [await watcher.announce()]
        clock.advance(work.LOOK_EVERY)
        sent.append(await watcher.announce())  # told 5 s ago: not again yet
        clock.advance(work.ANNOUNCE_EVERY)
        sent.append(await watcher.announce())
        return sent

    assert anyio.run(main) == [1, 0, 1]
    events = sub.drain()
    assert [e.event for e in events] == ["backlog.progress"] * 2
    assert events[0].connection == "demo" and "0 of 60 jobs done" in (events[0].detail or "")
