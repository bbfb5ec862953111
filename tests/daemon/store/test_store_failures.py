"""The batching writer when the state file itself fails (disk full, I/O error) under a
transaction: every waiter is released with the error, nothing of the batch is applied, the
writer stops (which stops the daemon) and later writes are refused at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite
import anyio
import pytest

from syncwright.daemon.store.db import (
    StateConnection,
    Store,
    StoreClosed,
    StoreFailed,
    connect_sync,
    open_migrated,
)


class FailingConnection(StateConnection):
    """Raises an I/O error on the ``nth`` execution of ``statement`` (0: never)."""

    statement = ""
    nth = 0

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == self.statement:
            type(self).nth -= 1
            if type(self).nth == 0:
                raise sqlite3.OperationalError("disk I/O error")
        return super().execute(sql, *args)


def insert(flow: str) -> Any:
    def fn(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO cursors (connection, flow, value, updated_at) VALUES ('c', ?, 'v', 0)",
            (flow,),
        )

    return fn


def broken(conn: sqlite3.Connection) -> None:
    insert("broken")(conn)
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    ("statement", "nth"),
    [("SAVEPOINT op", 2), ("ROLLBACK TO op", 1), ("RELEASE op", 2), ("COMMIT", 1)],
)
def test_a_failing_transaction_statement_releases_every_waiter_and_applies_nothing(
    tmp_path: Path, statement: str, nth: int
) -> None:
    path = tmp_path / "state.db"
    open_migrated(path).close()
    FailingConnection.statement, FailingConnection.nth = statement, nth
    outcomes: dict[str, BaseException | str] = {}
    failures: list[BaseException] = []

    async def write(store: Store, name: str, fn: Any) -> None:
        try:
            await store.write(fn)
            outcomes[name] = "ok"
        except Exception as exc:
            outcomes[name] = exc

    async def main() -> None:
        reader = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True)
        store = Store(path, connect_sync(path, factory=FailingConnection), reader)
        try:
            with anyio.fail_after(20):  # before the fix the waiters hung for ever
                try:
                    async with anyio.create_task_group() as tg:
                        await tg.start(store.serve)
                        tg.start_soon(write, store, "a", insert("a"))
                        tg.start_soon(write, store, "broken", broken)
                        tg.start_soon(write, store, "b", insert("b"))
                except* StoreFailed as group:
                    failures.extend(group.exceptions)
            with pytest.raises(StoreClosed):
                await store.write(insert("late"))
        finally:
            await store.aclose()

    anyio.run(main)
    assert len(failures) == 1 and "disk I/O error" in str(failures[0])
    assert str(path) in str(failures[0])
    assert set(outcomes) == {"a", "broken", "b"}
    assert all(isinstance(e, StoreFailed) for e in outcomes.values()), outcomes
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT flow FROM cursors").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()


def test_writes_queued_behind_a_failed_batch_fail_too(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    open_migrated(path).close()
    FailingConnection.statement, FailingConnection.nth = "RELEASE op", 1
    outcomes: dict[str, BaseException | str] = {}

    async def write(store: Store, name: str, fn: Any) -> None:
        try:
            await store.write(fn)
            outcomes[name] = "ok"
        except Exception as exc:
            outcomes[name] = exc

    async def main() -> None:
        reader = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True)
        store = Store(path, connect_sync(path, factory=FailingConnection), reader)
        try:
            with anyio.fail_after(20):
                with pytest.raises(ExceptionGroup):
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(write, store, "first", insert("first"))
                        await anyio.wait_all_tasks_blocked()
                        await tg.start(store.serve)
                        # Queued while the first batch runs in the writer's thread.
                        tg.start_soon(write, store, "queued", insert("queued"))
        finally:
            await store.aclose()

    anyio.run(main)
    assert isinstance(outcomes["first"], StoreFailed)
    assert isinstance(outcomes["queued"], StoreFailed | StoreClosed)
