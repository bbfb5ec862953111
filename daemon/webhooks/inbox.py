"""The stored webhook deliveries (the ``events`` table) and the writes that change them.

The only module that writes ``events``: the receiver stores a delivery before answering it,
the dispatcher settles it (processed, or an error to try again), prunes old ones, and
``syncwright replay-events`` marks them pending again. Each function runs inside the caller's
write transaction.
"""

from __future__ import annotations

import sqlite3


def store_delivery(
    conn: sqlite3.Connection,
    system: str,
    delivery: str,
    topic: str,
    at: float,
    headers: str,
    body: bytes,
) -> bool:
    """Keep a verified delivery; False when ``(system, delivery)`` was stored before."""
    return bool(
        conn.execute(
            "INSERT OR IGNORE INTO events (system, delivery_id, topic, received_at,"
            " headers, body) VALUES (?, ?, ?, ?, ?, ?)",
            (system, delivery, topic, at, headers, body),
        ).rowcount
    )


def settle(conn: sqlite3.Connection, event_id: int, at: float, error: str | None) -> None:
    """The event is processed: its jobs are queued (in the same write), or it never can be
    (``error`` says why)."""
    conn.execute(
        "UPDATE events SET processed_at = ?, last_error = ? WHERE id = ?", (at, error, event_id)
    )


def note_error(conn: sqlite3.Connection, event_id: int, why: str) -> None:
    """The event stays pending; ``why`` is shown until a later try settles it."""
    conn.execute("UPDATE events SET last_error = ? WHERE id = ?", (why, event_id))


def prune(conn: sqlite3.Connection, before: float) -> int:
    """Delete processed events received before ``before``; returns how many."""
    return conn.execute(
        "DELETE FROM events WHERE processed_at IS NOT NULL AND received_at < ?", (before,)
    ).rowcount


def replay(conn: sqlite3.Connection, since: float, system: str | None = None) -> int:
    """Mark the events received since ``since`` (of ``system``, or all) pending again."""
    sql = "UPDATE events SET processed_at = NULL, last_error = NULL WHERE received_at >= ?"
    params: list[object] = [since]
    if system is not None:
        sql += " AND system = ?"
        params.append(system)
    return conn.execute(sql, params).rowcount
