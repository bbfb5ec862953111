"""SQLite helpers both sandbox stores use: a tuned connection, one transaction per request,
and compound-key paging by (modified time, id)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Stay well under SQLite's limit on bound parameters per statement.
CHUNK = 900


def connect(path: Path, schema: str) -> sqlite3.Connection:
    """Open (creating if needed) a database for use from one worker thread at a time.

    WAL with synchronous=NORMAL keeps every committed transaction across a killed process,
    which is what the sandboxes promise; only a power cut could lose the last commits.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA cache_size=-65536")
    conn.executescript(schema)
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed when the block ends, rolled back if it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def marks(count: int) -> str:
    """``?,?,?`` for an IN list of ``count`` values."""
    return ",".join("?" * count)


def chunked(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


#: A page: the items as JSON text, and the ``next`` key (None when nothing more exists).
Page = tuple[list[str], dict[str, Any] | None]


def change_filter(
    time_col: str, id_col: str, since: str | None, after: tuple[str, int] | None
) -> tuple[str, list[Any]]:
    """``time >= since AND (time, id) > after`` as SQL and its arguments (either may be None)."""
    conditions: list[str] = ["1"]
    args: list[Any] = []
    if since is not None:
        conditions.append(f"{time_col} >= ?")
        args.append(since)
    if after is not None:
        conditions.append(f"({time_col}, {id_col}) > (?, ?)")
        args.extend(after)
    return " AND ".join(conditions), args


def search_filter(
    email: str | None, account_id: str | None, *, email_sql: str = "email = ?"
) -> tuple[str | None, list[Any]]:
    """``email matches OR accounting_id = account_id`` as SQL and its arguments, for the ones
    given; the SQL is None when neither is. ``email_sql`` says how the e-mail is compared."""
    conditions: list[str] = []
    args: list[Any] = []
    if email is not None:
        conditions.append(email_sql)
        args.append(email.strip())
    if account_id is not None:
        conditions.append("accounting_id = ?")
        args.append(account_id)
    return (" OR ".join(conditions) if conditions else None), args


def json_page(rows: Sequence[Any], limit: int, *, by_time: bool) -> Page:
    """Rows of (id, modified_at, json) fetched with ``limit + 1``: the page and its next key."""
    return cut(rows, limit, by_time=by_time, item=lambda row: str(row[2]))


def cut(
    rows: Sequence[Any],
    limit: int,
    *,
    by_time: bool,
    item: Callable[[Any], Any],
    public_id: Callable[[int], int | str] = lambda row_id: row_id,
) -> tuple[list[Any], dict[str, Any] | None]:
    """A page of ``item(row)`` from rows (id, modified_at, ...) and its ``next`` key, if any."""
    if len(rows) <= limit:
        return [item(row) for row in rows], None
    last_id, last_modified = rows[limit - 1][0], rows[limit - 1][1]
    after: dict[str, Any] = {"after_id": public_id(last_id)}
    if by_time:
        after = {"after_modified": last_modified, **after}
    return [item(row) for row in rows[:limit]], after
