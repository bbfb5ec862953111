"""The sync log a merchant reads: last full and partial sync times, open per-item errors, and
the bookkeeping of full syncs (``full_runs``).

The only module that writes ``sync_errors``, ``full_runs`` and ``connection_state`` (the sync
times, the pause an operator or an auth failure set, the ghost sweep timer).

Errors are keyed by (connection, flow, external id): recording the same problem again only
moves its last-seen time; an item that later syncs resolves its error (partial syncs keep the
other errors). A full sync clears the errors of its flows when it starts, adds errors as it
goes, and writes its completion time only when its last slice job has finished: each slice
job's completion updates ``slices_left`` in the transaction that records its results.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from syncwright.daemon.events_bus import Event, hub_of
from syncwright.daemon.store.db import Store


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
    hub = hub_of(conn)
    if hub is not None:  # announced once the transaction commits
        hub.stage(
            Event(
                "error.added",
                now,
                connection=connection,
                flow=flow,
                item=external_id,
                detail=message[:500],
            )
        )


def resolve(
    conn: sqlite3.Connection, connection: str, flow: str, external_ids: Iterable[str]
) -> int:
    ids = list(external_ids)
    done = 0
    hub = hub_of(conn)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = (
            "DELETE FROM sync_errors WHERE connection = ? AND flow = ?"
            f" AND external_id IN ({marks})"
        )
        if hub is None:
            done += conn.execute(sql, (connection, flow, *chunk)).rowcount
            continue
        gone = conn.execute(sql + " RETURNING external_id", (connection, flow, *chunk)).fetchall()
        done += len(gone)
        at = time.time()
        for (item,) in gone:
            hub.stage(Event("error.resolved", at, connection=connection, flow=flow, item=item))
    return done


def clear_errors(
    conn: sqlite3.Connection, connection: str, flows: Sequence[str], now: float | None = None
) -> int:
    """Drop the open errors of ``flows`` (a full sync starts from a clean slate)."""
    marks = ",".join("?" * len(flows))
    cleared = conn.execute(
        f"DELETE FROM sync_errors WHERE connection = ? AND flow IN ({marks})",
        (connection, *flows),
    ).rowcount
    hub = hub_of(conn)
    if cleared and hub is not None:
        hub.stage(
            Event(
                "error.resolved",
                time.time() if now is None else now,
                connection=connection,
                count=cleared,
                detail=f"{cleared} cleared: a full sync of {', '.join(flows)} started",
            )
        )
    return cleared


def _touch(conn: sqlite3.Connection, connection: str, column: str, now: float) -> None:
    conn.execute(
        f"INSERT INTO connection_state (connection, {column}, updated_at) VALUES (?, ?, ?)"
        f" ON CONFLICT (connection) DO UPDATE SET {column} = excluded.{column},"
        " updated_at = excluded.updated_at",
        (connection, now, now),
    )


def touch_partial(conn: sqlite3.Connection, connection: str, now: float) -> None:
    _touch(conn, connection, "last_partial_sync", now)


def touch_ghost(conn: sqlite3.Connection, connection: str, now: float) -> None:
    """A ghost sweep was considered now (the scheduler's timer survives restarts)."""
    _touch(conn, connection, "last_ghost_at", now)


def save_pause(conn: sqlite3.Connection, connection: str, reason: str | None, now: float) -> None:
    """The connection is paused for ``reason`` (None: resumed); kept across restarts."""
    if reason is not None:
        conn.execute(
            "INSERT INTO connection_state (connection, paused, pause_reason, updated_at)"
            " VALUES (?, 1, ?, ?) ON CONFLICT (connection) DO UPDATE SET paused = 1,"
            " pause_reason = excluded.pause_reason, updated_at = excluded.updated_at",
            (connection, reason, now),
        )
    else:
        conn.execute(
            "UPDATE connection_state SET paused = 0, pause_reason = NULL, updated_at = ?"
            " WHERE connection = ?",
            (now, connection),
        )


# -- full runs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FullRun:
    connection: str
    run_id: int
    flows: tuple[str, ...]
    reason: str
    state: str
    started_at: float
    finished_at: float | None
    slices_left: int
    slices_done: int
    items: int
    #: Flows whose change pull had not finished a first pass when the run began.
    fresh: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> FullRun:
        return cls(
            row["connection"],
            row["run_id"],
            tuple(json.loads(row["flows"])),
            row["reason"],
            row["state"],
            row["started_at"],
            row["finished_at"],
            row["slices_left"],
            row["slices_done"],
            row["items"],
            tuple(json.loads(row["fresh"])),
        )


def begin_full(
    conn: sqlite3.Connection,
    connection: str,
    flows: Sequence[str],
    reason: str,
    now: float,
    fresh: Sequence[str] = (),
) -> int:
    """Start a full run (superseding any unfinished one) and clear the errors of its flows.
    The caller adds the run's first slices with :func:`add_slices`."""
    conn.execute(
        "UPDATE full_runs SET state = 'superseded', finished_at = ?"
        " WHERE connection = ? AND state = 'running'",
        (now, connection),
    )
    (last,) = conn.execute(
        "SELECT coalesce(max(run_id), 0) FROM full_runs WHERE connection = ?", (connection,)
    ).fetchone()
    run_id = int(last) + 1
    conn.execute(
        "INSERT INTO full_runs (connection, run_id, flows, reason, started_at, fresh)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (connection, run_id, json.dumps(list(flows)), reason, now, json.dumps(list(fresh))),
    )
    clear_errors(conn, connection, flows, now)
    return run_id


def load_run(conn: sqlite3.Connection, connection: str, run_id: int) -> FullRun | None:
    row = conn.execute(
        "SELECT * FROM full_runs WHERE connection = ? AND run_id = ?", (connection, run_id)
    ).fetchone()
    return None if row is None else FullRun.from_row(row)


def add_slices(conn: sqlite3.Connection, connection: str, run_id: int, count: int) -> None:
    conn.execute(
        "UPDATE full_runs SET slices_left = slices_left + ? WHERE connection = ? AND run_id = ?",
        (count, connection, run_id),
    )


def slice_done(
    conn: sqlite3.Connection,
    connection: str,
    run_id: int,
    *,
    items: int,
    follow_ups: int,
    now: float,
) -> bool:
    """A slice job finished (its results are in this transaction) and queued ``follow_ups``
    more. Returns True when that was the run's last slice: the run is done and the
    connection's last full sync is now."""
    conn.execute(
        "UPDATE full_runs SET slices_left = slices_left - 1 + ?, slices_done = slices_done + 1,"
        " items = items + ? WHERE connection = ? AND run_id = ? AND state = 'running'",
        (follow_ups, items, connection, run_id),
    )
    row = conn.execute(
        "SELECT slices_left FROM full_runs WHERE connection = ? AND run_id = ?"
        " AND state = 'running'",
        (connection, run_id),
    ).fetchone()
    if row is not None and row[0] > 0:
        _stage_progress(conn, connection, run_id, now)
    if row is None or row[0] > 0:
        return False
    conn.execute(
        "UPDATE full_runs SET state = 'done', finished_at = ? WHERE connection = ? AND run_id = ?",
        (now, connection, run_id),
    )
    _touch(conn, connection, "last_full_sync", now)
    return True


def _stage_progress(conn: sqlite3.Connection, connection: str, run_id: int, now: float) -> None:
    """Announce a running full sync's progress (``full.progress``) once this slice commits."""
    from syncwright.daemon.ops import progress

    hub = hub_of(conn)
    if hub is None:
        return
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    row = cursor.execute(
        progress.RUNNING_SQL + " AND r.connection = ? AND r.run_id = ?", (connection, run_id)
    ).fetchone()
    if row is not None:
        p = progress.from_row(row, now, 1, [])
        detail = progress.describe(p.as_dict())
        hub.stage(Event("full.progress", now, connection=connection, count=1, detail=detail))


# -- reads -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncError:
    flow: str
    external_id: str
    message: str
    first_seen: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class SyncLog:
    """What the merchant sees for one connection (a frozen snapshot)."""

    connection: str
    last_full_sync: float | None
    last_partial_sync: float | None
    full_run: FullRun | None  # the run in progress, if any
    errors: tuple[SyncError, ...]
    error_count: int


async def read(store: Store, connection: str, *, limit: int = 200) -> SyncLog:
    state = await store.fetchone(
        "SELECT last_full_sync, last_partial_sync FROM connection_state WHERE connection = ?",
        (connection,),
    )
    run = await store.fetchone(
        "SELECT * FROM full_runs WHERE connection = ? AND state = 'running'"
        " ORDER BY run_id DESC LIMIT 1",
        (connection,),
    )
    count = await store.fetchone(
        "SELECT count(*) FROM sync_errors WHERE connection = ?", (connection,)
    )
    rows = await store.fetchall(
        "SELECT flow, external_id, message, first_seen, last_seen FROM sync_errors"
        " WHERE connection = ? ORDER BY last_seen DESC, flow, external_id LIMIT ?",
        (connection, limit),
    )
    return SyncLog(
        connection=connection,
        last_full_sync=None if state is None else state["last_full_sync"],
        last_partial_sync=None if state is None else state["last_partial_sync"],
        full_run=None if run is None else FullRun.from_row(run),
        errors=tuple(
            SyncError(r["flow"], r["external_id"], r["message"], r["first_seen"], r["last_seen"])
            for r in rows
        ),
        error_count=0 if count is None else int(count[0]),
    )


# -- forgetting a connection -------------------------------------------------------------------

#: Tables holding nothing of a connection's but what forgetting it must delete. The e-mail
#: outbox is left alone: a notice about the connection's failures may still be owed.
KEEP_ON_FORGET = frozenset({"notifications"})


def forget_connection(conn: sqlite3.Connection, connection: str) -> dict[str, int]:
    """Inside a write: delete every row of ``connection`` (jobs, cursors, links, item and stock
    state, audit, sync log, full runs, ...); returns the rows deleted per table."""
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    deleted: dict[str, int] = {}
    for table in tables:
        columns = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
        if "connection" in columns and table not in KEEP_ON_FORGET:
            sql = f'DELETE FROM "{table}" WHERE connection = ?'
            deleted[table] = conn.execute(sql, (connection,)).rowcount
    return deleted
