"""Links: an item's id in the back office <-> its id in the channel, per connection and entity.

A link, once made, is kept: ``keep_link`` never overwrites one (a customer linked to one
channel account stays so; an order posted once stays posted once).
"""

from __future__ import annotations

import sqlite3


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
