"""The sync log a merchant reads: last full and partial sync times, and open per-item errors.

Errors are keyed by (connection, flow, external id): recording the same problem again only
moves its last-seen time; an item that later syncs resolves its error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable


def add_error(
    conn: sqlite3.Connection, connection: str, flow: str, external_id: str, message: str, now: float
) -> None:
    conn.execute(
        "INSERT INTO sync_errors (connection, flow, external_id, message, first_seen, last_seen)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (connection, flow, external_id) DO UPDATE SET"
        " message = excluded.message, last_seen = excluded.last_seen",
        (connection, flow, external_id, message[:2000], now, now),
    )


def resolve(
    conn: sqlite3.Connection, connection: str, flow: str, external_ids: Iterable[str]
) -> int:
    ids = list(external_ids)
    done = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        done += conn.execute(
            "DELETE FROM sync_errors WHERE connection = ? AND flow = ?"
            f" AND external_id IN ({marks})",
            (connection, flow, *chunk),
        ).rowcount
    return done


def touch_partial(conn: sqlite3.Connection, connection: str, now: float) -> None:
    conn.execute(
        "INSERT INTO connection_state (connection, last_partial_sync, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (connection) DO UPDATE SET last_partial_sync = excluded.last_partial_sync,"
        " updated_at = excluded.updated_at",
        (connection, now, now),
    )
