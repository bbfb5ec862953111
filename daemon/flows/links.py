"""Links: an item's id in the back office <-> its id in the channel, per connection and entity.

The only module that writes ``links``. A link, once made, is kept: ``keep_link`` never
overwrites one (a customer linked to one channel account stays so; an order posted once stays
posted once). Two kinds of link follow the channel instead: a product's (the channel's answer
to a write names the copy it holds, :func:`replace_links`) and the default price list's
(:func:`set_link`). A person may link a customer by hand (``syncwright link``,
:func:`link_by_hand`): that link replaces a flow's link of either side and records who made
it (``made_by``); the flows honour it where they refuse an ambiguous match.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping


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


def replace_links(
    conn: sqlite3.Connection,
    connection: str,
    entity: str,
    pairs: Iterable[tuple[str, str]],
    now: float,
) -> None:
    """Inside a write: link each ``(source id, channel id)`` pair, replacing any link either
    side had (the channel's answer to a write is the truth about which copy it holds)."""
    conn.executemany(
        "INSERT OR REPLACE INTO links (connection, entity, source_id, channel_id, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(connection, entity, sid, cid, now) for sid, cid in pairs],
    )


def set_link(
    conn: sqlite3.Connection,
    connection: str,
    entity: str,
    source_id: str,
    channel_id: str,
    now: float,
) -> None:
    """Inside a write: link ``source_id`` to ``channel_id``, moving an existing link of
    ``source_id`` (its creation time stays)."""
    conn.execute(
        "INSERT INTO links (connection, entity, source_id, channel_id, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (connection, entity, source_id)"
        " DO UPDATE SET channel_id = excluded.channel_id",
        (connection, entity, source_id, channel_id, now),
    )


def link_by_hand(
    conn: sqlite3.Connection,
    connection: str,
    entity: str,
    source_id: str,
    channel_id: str,
    made_by: str,
    now: float,
) -> list[tuple[str, str]]:
    """Inside a write: a person's link of ``source_id`` to ``channel_id``; the links either
    side had are dropped (a person settles what a flow could only guess). Returns them as
    ``(source id, channel id)`` pairs."""
    dropped = conn.execute(
        "DELETE FROM links WHERE connection = ? AND entity = ? AND (source_id = ? OR"
        " channel_id = ?) AND NOT (source_id = ? AND channel_id = ?)"
        " RETURNING source_id, channel_id",
        (connection, entity, source_id, channel_id, source_id, channel_id),
    ).fetchall()
    conn.execute(
        "INSERT INTO links (connection, entity, source_id, channel_id, created_at, made_by)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (connection, entity, source_id)"
        " DO UPDATE SET made_by = excluded.made_by, created_at = excluded.created_at",
        (connection, entity, source_id, channel_id, now, made_by),
    )
    return [(str(row[0]), str(row[1])) for row in dropped]
