"""The state file: ordered migrations, refusal of newer schemas, the batching writer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import pytest

from syncwright.daemon.store.db import Store
from syncwright.daemon.store.migrations import MIGRATIONS, SCHEMA_VERSION, SchemaTooNew, _statements


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def open_and_close(path: Path) -> None:
    async def main() -> None:
        store = await Store.open(path)
        await store.aclose()

    anyio.run(main)


def test_fresh_file_gets_every_migration_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    open_and_close(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert {
        "jobs",
        "cursors",
        "links",
        "item_state",
        "sync_errors",
        "budget_usage",
        "events",
        "full_runs",
        "notifications",
    } <= tables(path)


def test_an_older_file_is_migrated_in_order(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    conn = sqlite3.connect(path)
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO cursors (connection, flow, value, updated_at) VALUES ('c', 'f', 'v', 1)"
    )
    conn.commit()
    conn.close()
    open_and_close(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT value FROM cursors").fetchall() == [("v",)]
    conn.close()
    assert "full_runs" in tables(path)


def test_a_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew, match="knows only up to"):
        open_and_close(path)


def test_one_failing_write_does_not_undo_its_batch(tmp_path: Path) -> None:
    async def main() -> list[tuple[object, ...]]:
        store = await Store.open(tmp_path / "s.db")
        results: dict[str, object] = {}

        def insert(value: str) -> None:
            store_sql = (
                "INSERT INTO cursors (connection, flow, value, updated_at) VALUES (?, ?, ?, 0)"
            )

            def fn(conn: sqlite3.Connection) -> None:
                conn.execute(store_sql, ("c", value, value))

            return fn  # type: ignore[return-value]

        def broken(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO cursors (connection, flow, value, updated_at)"
                " VALUES ('c', 'bad', 'x', 0)"
            )
            raise RuntimeError("boom")

        async def run(name: str, fn: object) -> None:
            try:
                await store.write(fn)  # type: ignore[arg-type]
                results[name] = "ok"
            except RuntimeError as exc:
                results[name] = str(exc)

        async with anyio.create_task_group() as tg:
            await tg.start(store.serve)
            async with anyio.create_task_group() as writers:
                writers.start_soon(run, "a", insert("a"))
                writers.start_soon(run, "broken", broken)
                writers.start_soon(run, "b", insert("b"))
            store.stop_writes()
        rows = await store.fetchall("SELECT flow FROM cursors ORDER BY flow")
        await store.aclose()
        assert results == {"a": "ok", "broken": "boom", "b": "ok"}
        assert store.commits == 1, "the three writes should share one transaction"
        return [tuple(r) for r in rows]

    assert anyio.run(main) == [("a",), ("b",)]
