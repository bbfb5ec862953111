"""The control server's own read-only connection to the state file, used in a worker thread,
so the snapshot's grouped queries never queue in front of the actors' reads (WAL lets both
read at once)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio


class SnapshotReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._limiter = anyio.CapacityLimiter(1)  # one thread at a time uses the connection

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, timeout=10, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only=1")
            self._conn = conn
        return self._conn

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        def run() -> list[sqlite3.Row]:
            return self._connection().execute(sql, params).fetchall()

        return await anyio.to_thread.run_sync(run, limiter=self._limiter)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
