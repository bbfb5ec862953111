"""Links: an item's id in the back office <-> its id in the channel, per connection and entity.

A link, once made, is kept: ``keep_link`` never overwrites one (a customer linked to one
channel account stays so; an order posted once stays posted once).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping


def keep_link(
    conn: sqlite3.Connection,
    connection: str,
    entity: str,
    source_id: str,
    channel_id: str,
    now: float,
) -> bool:
    """Inside a write: record the link unless one exists; True when it was new."""
    inserted = conn.execute(
        "INSERT OR IGNORE INTO links (connection, entity, source_id, channel_id, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (connection, entity, source_id, channel_id, now),
    ).rowcount
    return bool(inserted)


def keep_links(
    conn: sqlite3.Connection, connection: str, entity: str, ids: Mapping[str, str], now: float
) -> list[str]:
    """Inside a write: :func:`keep_link` for many ``source id -> channel id`` pairs at once;
    returns the source ids whose link is new."""
    source_ids = list(ids)
    known: set[str] = set()
    for start in range(0, len(source_ids), 900):
        chunk = source_ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        known.update(
            row[0]
            for row in conn.execute(
                "SELECT source_id FROM links WHERE connection = ? AND entity = ?"
                f" AND source_id IN ({marks})",
                (connection, entity, *chunk),
            )
        )
    new = [sid for sid in source_ids if sid not in known]
    conn.executemany(
        "INSERT OR IGNORE INTO links (connection, entity, source_id, channel_id, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(connection, entity, sid, ids[sid], now) for sid in new],
    )
    return new
