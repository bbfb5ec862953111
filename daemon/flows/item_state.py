"""Item state: per (connection, entity, item), what we last wrote, verified, or had refused.

The only module that writes ``item_state``; the flows read it freely. Each function runs
inside the caller's write transaction, one ``executemany`` per call (a page is a thousand
items). Rows are keyed by the back-office id (``source_id``); ``entity`` is "product",
"customer", "settings", "order" or "order_posted".

- written: the item's content is on the other side, as ``hash``; an older refusal is over.
- refused: the other side refused the version with ``refused_hash`` (offered again only once
  the item changes), with the reason as ``last_error``.
- verified: the other side's copy was compared and holds ``hash``.
- checked: only the time of the last look moves (a customer found linked, a ghost sweep).
- seen: an order as last read from the channel (its hash decides whether it is posted again).
- gone: the source no longer has the item (flows/deletions.py); its token becomes :data:`GONE`
  until it is written again, so later deletion checks do not fetch it again.
- read at the source: when the item was last read from the source and its change token then
  (``seen_at``, ``seen_token``), written or not (an item's sync health shows it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

_WRITTEN = (
    "INSERT INTO item_state (connection, entity, source_id, hash, token, written_at,"
    " last_verified_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (connection, entity, source_id) DO UPDATE SET hash = excluded.hash,"
    " token = excluded.token, written_at = coalesce(excluded.written_at, written_at),"
    " last_verified_at = excluded.last_verified_at, last_error = NULL, refused_hash = NULL"
)
_REFUSED = (
    "INSERT INTO item_state (connection, entity, source_id, last_error, refused_hash)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (connection, entity, source_id) DO UPDATE SET"
    " last_error = excluded.last_error, refused_hash = excluded.refused_hash"
)
_VERIFIED = (
    "INSERT INTO item_state (connection, entity, source_id, hash, last_verified_at)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (connection, entity, source_id) DO UPDATE SET"
    " hash = excluded.hash, last_verified_at = excluded.last_verified_at, last_error = NULL,"
    " refused_hash = NULL"
)
_CHECKED = (
    "INSERT INTO item_state (connection, entity, source_id, last_verified_at)"
    " VALUES (?, ?, ?, ?) ON CONFLICT (connection, entity, source_id)"
    " DO UPDATE SET last_verified_at = excluded.last_verified_at"
)
_CHECKED_KNOWN = (
    "UPDATE item_state SET last_verified_at = ? WHERE connection = ? AND entity = ?"
    " AND source_id = ?"
)
_SEEN = (
    "INSERT INTO item_state (connection, entity, source_id, hash, token, last_error)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (connection, entity, source_id) DO UPDATE SET"
    " hash = excluded.hash, token = excluded.token, last_error = excluded.last_error"
)

_READ = (
    "UPDATE item_state SET seen_at = ?, seen_token = ? WHERE connection = ? AND entity = ?"
    " AND source_id = ?"
)

#: The token of an item the source no longer has.
GONE = "gone"
_GONE = "UPDATE item_state SET token = ? WHERE connection = ? AND entity = ? AND source_id = ?"

#: (source id, content hash, change token, written at or None: not written now, verified at)
Written = tuple[str, str | None, str | None, float | None, float]
#: (source id, why it was refused, hash of the refused version)
Refused = tuple[str, str | None, str]


def written(
    conn: sqlite3.Connection, connection: str, entity: str, rows: Iterable[Written]
) -> None:
    """Items whose content the other side now holds. ``written_at`` None keeps the time of
    the last real write (the item was found equal, or linked to an existing copy)."""
    conn.executemany(_WRITTEN, [(connection, entity, *row) for row in rows])


def refused(
    conn: sqlite3.Connection, connection: str, entity: str, rows: Iterable[Refused]
) -> None:
    conn.executemany(_REFUSED, [(connection, entity, *row) for row in rows])


def verified(
    conn: sqlite3.Connection,
    connection: str,
    entity: str,
    hashes: Iterable[tuple[str, str]],
    at: float,
) -> None:
    """Items whose copy on the other side was read and found to hold ``hash``."""
    conn.executemany(_VERIFIED, [(connection, entity, sid, digest, at) for sid, digest in hashes])


def checked(
    conn: sqlite3.Connection,
    connection: str,
    entity: str,
    ids: Sequence[str],
    at: float,
    *,
    known_only: bool = False,
) -> None:
    """Move the last look at ``ids`` to ``at``; with ``known_only``, only items that have a
    row already (a ghost sweep rotates what it knows; refused items move back too)."""
    if known_only:
        conn.executemany(_CHECKED_KNOWN, [(at, connection, entity, sid) for sid in ids])
    else:
        conn.executemany(_CHECKED, [(connection, entity, sid, at) for sid in ids])


def seen(
    conn: sqlite3.Connection,
    connection: str,
    entity: str,
    rows: Iterable[tuple[str, str, str | None, str | None]],
) -> None:
    """Versions read from the other side: (source id, hash, change token, note or None)."""
    conn.executemany(_SEEN, [(connection, entity, *row) for row in rows])


def read_at_source(
    conn: sqlite3.Connection,
    connection: str,
    entity: str,
    rows: Iterable[tuple[str, str | None]],
    at: float,
) -> None:
    """Items just read from the source, as (source id, change token): only items with a row
    (written, refused or verified before) are marked."""
    conn.executemany(_READ, [(at, token, connection, entity, sid) for sid, token in rows])


def gone(conn: sqlite3.Connection, connection: str, entity: str, ids: Iterable[str]) -> None:
    """Items the source no longer has (and that were written to the channel as such)."""
    conn.executemany(_GONE, [(GONE, connection, entity, sid) for sid in ids])
