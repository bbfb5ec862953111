"""The sync log's full/partial semantics on a real (migrated) state file, and the ghost rotation."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from syncwright.daemon import synclog
from syncwright.daemon.flows.ghost import rotation_seconds
from syncwright.daemon.store.db import Store, connect_sync
from syncwright.daemon.store.migrations import migrate


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    db = connect_sync(tmp_path / "state.db")
    migrate(db, "state.db")
    yield db
    db.close()


def errors(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple[str, float, float]]:
    rows = conn.execute(
        "SELECT flow, external_id, message, first_seen, last_seen FROM sync_errors"
    ).fetchall()
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}


def last_full(conn: sqlite3.Connection, connection: str = "c") -> float | None:
    row = conn.execute(
        "SELECT last_full_sync FROM connection_state WHERE connection = ?", (connection,)
    ).fetchone()
    return None if row is None else row[0]


def test_an_error_seen_again_keeps_its_first_seen_and_resolving_removes_it(
    conn: sqlite3.Connection,
) -> None:
    synclog.add_error(conn, "c", "products", "7", "variant 70 has no SKU", 100.0)
    synclog.add_error(conn, "c", "products", "7", "variant 71 has no SKU", 200.0)
    synclog.add_error(conn, "c", "stock", "A|main", "unknown location", 150.0)
    assert errors(conn)[("products", "7")] == ("variant 71 has no SKU", 100.0, 200.0)
    assert synclog.resolve(conn, "c", "products", ["7", "8"]) == 1
    assert set(errors(conn)) == {("stock", "A|main")}, "a partial sync keeps other errors"


def test_a_full_run_clears_only_its_own_flows_and_connection(conn: sqlite3.Connection) -> None:
    synclog.add_error(conn, "c", "products", "1", "bad", 1.0)
    synclog.add_error(conn, "c", "orders", "so_1", "could not post", 1.0)
    synclog.add_error(conn, "other", "products", "1", "bad", 1.0)
    run = synclog.begin_full(conn, "c", ["products", "stock"], "operator", 10.0)
    assert run == 1
    assert set(errors(conn)) == {("orders", "so_1"), ("products", "1")}
    (left,) = conn.execute("SELECT count(*) FROM sync_errors WHERE connection = 'c'").fetchone()
    assert left == 1


def test_last_full_sync_is_written_only_by_the_last_slice(conn: sqlite3.Connection) -> None:
    run = synclog.begin_full(conn, "c", ["products", "stock"], "first start", 10.0)
    synclog.add_slices(conn, "c", run, 1)  # the products chain
    # A page that queued its next page: the run is not done.
    assert not synclog.slice_done(conn, "c", run, items=50, follow_ups=1, now=11.0)
    # The last products page starts the stock chain.
    assert not synclog.slice_done(conn, "c", run, items=20, follow_ups=1, now=12.0)
    assert last_full(conn) is None
    assert synclog.slice_done(conn, "c", run, items=140, follow_ups=0, now=13.0)
    assert last_full(conn) == 13.0
    loaded = synclog.load_run(conn, "c", run)
    assert loaded is not None
    assert (loaded.state, loaded.slices_left, loaded.slices_done, loaded.items) == (
        "done",
        0,
        3,
        210,
    )


def test_a_new_run_supersedes_an_unfinished_one(conn: sqlite3.Connection) -> None:
    first = synclog.begin_full(conn, "c", ["products"], "first start", 10.0)
    synclog.add_slices(conn, "c", first, 1)
    second = synclog.begin_full(conn, "c", ["products"], "operator", 20.0)
    synclog.add_slices(conn, "c", second, 1)
    # A slice of the old run finishing late neither finishes it nor touches the log.
    assert not synclog.slice_done(conn, "c", first, items=5, follow_ups=0, now=21.0)
    old = synclog.load_run(conn, "c", first)
    assert old is not None and old.state == "superseded"
    assert last_full(conn) is None
    assert synclog.slice_done(conn, "c", second, items=5, follow_ups=0, now=22.0)
    assert last_full(conn) == 22.0


def test_read_gives_a_snapshot_of_the_log(tmp_path: Path) -> None:
    async def main() -> synclog.SyncLog:
        store = await Store.open(tmp_path / "state.db")
        async with anyio.create_task_group() as tg:
            await tg.start(store.serve)

            def fill(conn: sqlite3.Connection) -> None:
                synclog.touch_partial(conn, "c", 5.0)
                synclog.add_error(conn, "c", "products", "3", "address line 1 is empty", 4.0)
                run = synclog.begin_full(conn, "c", ["stock"], "operator", 6.0)
                synclog.add_slices(conn, "c", run, 1)

            await store.write(fill)
            log = await synclog.read(store, "c")
            store.stop_writes()
        await store.aclose()
        return log

    log = anyio.run(main)
    assert log.last_partial_sync == 5.0 and log.last_full_sync is None
    assert log.full_run is not None and log.full_run.flows == ("stock",)
    assert [(e.flow, e.external_id) for e in log.errors] == [("products", "3")]
    assert log.error_count == 1


def test_rotation_takes_one_interval_per_batch() -> None:
    assert rotation_seconds(0, 10, 3600) == 0
    assert rotation_seconds(10, 10, 3600) == 3600
    assert rotation_seconds(11, 10, 3600) == 7200
    assert rotation_seconds(100_000, 10, 3600) == 10_000 * 3600
