"""Cursor arithmetic and persistence for change pulls (DESIGN.md rules 1 and 2).

A cursor row per (connection, flow) holds where the next pass resumes: the high-water change
token of the last *completed* pass, moved back by how long that pass took (``resume_point``),
plus the state of the pass in progress: its inclusive lower bound, the (token, id) key of the
last applied item, the highest token applied so far and when it started. A pass resumes from
that key after a restart; a new pass starts from ``resume - overlap`` (time tokens) or the
high-water itself (version tokens), inclusively, so late commits and same-tick edits are seen
again.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from syncwright.connectors.base import CursorKind, Page
from syncwright.connectors.errors import PayloadError
from syncwright.daemon.store.db import Store


@dataclass(frozen=True, slots=True)
class Cursor:
    value: str | None = None
    pass_since: str | None = None
    pass_after: tuple[str, str] | None = None
    pass_high: str | None = None
    #: When the pass in progress read its first page (daemon clock, epoch seconds).
    pass_started: float | None = None
    #: Pages and items the pass in progress has applied (its progress; daemon/ops/work.py).
    pass_pages: int = 0
    pass_items: int = 0

    @property
    def in_pass(self) -> bool:
        return self.pass_after is not None


def parse_time(token: str) -> datetime:
    when = datetime.fromisoformat(token.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def format_time(when: datetime) -> str:
    spec = "seconds" if when.microsecond == 0 else "microseconds"
    return when.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")


def start_of_pass(kind: CursorKind, value: str | None, overlap: float) -> str | None:
    """The inclusive lower bound of a new pass."""
    if value is None:
        return None
    if kind == "time":
        return format_time(parse_time(value) - timedelta(seconds=overlap))
    return value


def resume_point(kind: CursorKind, high: str | None, took: float) -> str | None:
    """Where the pass after one that read up to ``high`` and took ``took`` seconds resumes
    (before the overlap): ``high`` moved back by how long the pass took, in whole seconds.

    An item read early in a pass and changed again within the same clock second keeps its
    timestamp; a pass longer than the overlap would start the next one after it, and the edit
    would be lost. The source clock ran as long as ours during the pass (whatever their
    offset), so ``high - took`` is no later than the source's time when the pass began."""
    if high is None or kind != "time" or took <= 0:
        return high
    return format_time((parse_time(high) - timedelta(seconds=took)).replace(microsecond=0))


def later(kind: CursorKind, a: str | None, b: str | None) -> str | None:
    """The later of two tokens (None counts as nothing)."""
    if a is None:
        return b
    if b is None:
        return a
    if kind == "time":
        return a if parse_time(a) >= parse_time(b) else b
    if kind == "version":
        return a if int(a) >= int(b) else b
    return max(a, b)


def continuation(
    page: Page[Any], after: tuple[str, str] | None, what: str
) -> tuple[str, str] | None:
    """The key the next page of a pass follows, or None when the source says the pass ended.

    Only the source ends a pass (``page.complete``): an empty or short page is not the end
    when the source says more exists (it may apply its limit before filtering). A page that
    says more exists but gives no way on, or the same way again with no items, is an answer
    we cannot read (retried as a transient error)."""
    if page.complete:
        return None
    key = page.resume_key
    # A listing's position is an id alone (token ""): the same id is the same place.
    same = after is not None and key is not None and (after == key or after == ("", key[1]))
    if key is None or (not page.items and same):
        raise PayloadError(f"a page of {what} says more exists but does not say where it goes on")
    return key


async def load(store: Store, connection: str, flow: str) -> Cursor:
    row = await store.fetchone(
        "SELECT value, pass_since, pass_after, pass_high, pass_started, pass_pages, pass_items"
        " FROM cursors WHERE connection = ? AND flow = ?",
        (connection, flow),
    )
    if row is None:
        return Cursor()
    after = json.loads(row["pass_after"]) if row["pass_after"] else None
    return Cursor(
        row["value"],
        row["pass_since"],
        tuple(after) if after else None,
        row["pass_high"],
        row["pass_started"],
        row["pass_pages"] or 0,
        row["pass_items"] or 0,
    )


def save(conn: sqlite3.Connection, connection: str, flow: str, cursor: Cursor, now: float) -> None:
    conn.execute(
        "INSERT INTO cursors (connection, flow, value, pass_since, pass_after, pass_high,"
        " pass_started, pass_pages, pass_items, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (connection, flow) DO UPDATE SET value = excluded.value,"
        " pass_since = excluded.pass_since, pass_after = excluded.pass_after,"
        " pass_high = excluded.pass_high, pass_started = excluded.pass_started,"
        " pass_pages = excluded.pass_pages, pass_items = excluded.pass_items,"
        " updated_at = excluded.updated_at",
        (
            connection,
            flow,
            cursor.value,
            cursor.pass_since,
            json.dumps(list(cursor.pass_after)) if cursor.pass_after else None,
            cursor.pass_high,
            cursor.pass_started,
            cursor.pass_pages,
            cursor.pass_items,
            now,
        ),
    )
