"""The state file's schema as an ordered list of migrations, applied under PRAGMA user_version.

Append new migrations; never edit one that has shipped. A state file whose user_version is
newer than this list was written by a newer Syncwright and is refused, not guessed at.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    # 1: the initial schema.
    """
    CREATE TABLE jobs (
        id               INTEGER PRIMARY KEY,
        connection       TEXT NOT NULL,
        kind             TEXT NOT NULL,
        class            INTEGER NOT NULL CHECK (class BETWEEN 0 AND 4),
        state            TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'dead')),
        dedup_key        TEXT,
        payload          TEXT NOT NULL DEFAULT '{}',
        run_at           REAL NOT NULL,
        enqueued_at      REAL NOT NULL,
        first_failed_at  REAL,
        attempts         INTEGER NOT NULL DEFAULT 0,
        snoozes          INTEGER NOT NULL DEFAULT 0,
        orphaned         INTEGER NOT NULL DEFAULT 0,
        lease_owner      TEXT,
        lease_expires_at REAL,
        progress         TEXT,
        last_error       TEXT,
        errors           TEXT NOT NULL DEFAULT '[]',
        finished_at      REAL
    );
    CREATE INDEX jobs_ready ON jobs (connection, state, class, run_at, id);
    CREATE UNIQUE INDEX jobs_dedup ON jobs (connection, dedup_key)
        WHERE dedup_key IS NOT NULL AND state = 'pending';
    CREATE INDEX jobs_finished ON jobs (state, finished_at) WHERE state IN ('done', 'dead');

    CREATE TABLE cursors (
        connection  TEXT NOT NULL,
        flow        TEXT NOT NULL,
        value       TEXT,            -- high-water change token of the last completed pass
        pass_since  TEXT,            -- lower bound of the pass in progress (NULL: none running)
        pass_after  TEXT,            -- JSON [token, id] of the last applied item in this pass
        pass_high   TEXT,            -- highest token applied so far in this pass
        updated_at  REAL NOT NULL,
        PRIMARY KEY (connection, flow)
    );

    CREATE TABLE links (
        connection  TEXT NOT NULL,
        entity      TEXT NOT NULL,   -- product, customer, order, ...
        source_id   TEXT NOT NULL,   -- id in the back office
        channel_id  TEXT NOT NULL,   -- id in the channel
        created_at  REAL NOT NULL,
        PRIMARY KEY (connection, entity, source_id),
        UNIQUE (connection, entity, channel_id)
    );

    CREATE TABLE item_state (
        connection       TEXT NOT NULL,
        entity           TEXT NOT NULL,
        source_id        TEXT NOT NULL,
        hash             TEXT,        -- content hash of what we last wrote
        token            TEXT,        -- change token of the version we last wrote
        written_at       REAL,
        last_verified_at REAL,
        last_error       TEXT,
        PRIMARY KEY (connection, entity, source_id)
    );
    CREATE INDEX item_state_verified ON item_state (connection, entity, last_verified_at);

    CREATE TABLE stock_state (
        connection  TEXT NOT NULL,
        sku         TEXT NOT NULL,
        location    TEXT NOT NULL,
        quantity    INTEGER,            -- last quantity pushed to the channel (NULL: never)
        pending     INTEGER,            -- quantity waiting for its product to reach the channel
        pushed_at   REAL,
        PRIMARY KEY (connection, sku, location)
    );
    CREATE INDEX stock_state_pending ON stock_state (connection, sku) WHERE pending IS NOT NULL;

    CREATE TABLE audit (
        connection  TEXT NOT NULL,
        entity      TEXT NOT NULL,
        external_id TEXT NOT NULL,
        hash        TEXT NOT NULL,
        seen_pass   INTEGER NOT NULL,
        PRIMARY KEY (connection, entity, external_id)
    );

    CREATE TABLE connection_state (
        connection        TEXT PRIMARY KEY,
        paused            INTEGER NOT NULL DEFAULT 0,
        pause_reason      TEXT,
        last_full_sync    REAL,
        last_partial_sync REAL,
        full_run          TEXT,       -- JSON of the full sync in progress (slices left)
        updated_at        REAL NOT NULL
    );

    CREATE TABLE sync_errors (
        connection  TEXT NOT NULL,
        flow        TEXT NOT NULL,
        external_id TEXT NOT NULL,
        message     TEXT NOT NULL,
        first_seen  REAL NOT NULL,
        last_seen   REAL NOT NULL,
        PRIMARY KEY (connection, flow, external_id)
    );

    CREATE TABLE budget_usage (
        system       TEXT NOT NULL,
        window       TEXT NOT NULL,
        bucket_start INTEGER NOT NULL,
        used         REAL NOT NULL,
        PRIMARY KEY (system, window, bucket_start)
    );

    CREATE TABLE budget_state (
        system        TEXT PRIMARY KEY,
        blocked_until REAL,
        block_reason  TEXT,
        last_headers  TEXT,
        updated_at    REAL NOT NULL
    );

    CREATE TABLE events (
        id           INTEGER PRIMARY KEY,
        system       TEXT NOT NULL,
        delivery_id  TEXT NOT NULL,
        topic        TEXT NOT NULL,
        received_at  REAL NOT NULL,
        headers      TEXT NOT NULL,
        body         BLOB NOT NULL,
        processed_at REAL,
        UNIQUE (system, delivery_id)
    );
    """,
    # 2: full-sync runs, audit records, refused hashes, ghost timer, and the e-mail outbox.
    """
    CREATE TABLE full_runs (
        connection  TEXT NOT NULL,
        run_id      INTEGER NOT NULL,
        flows       TEXT NOT NULL,      -- JSON list of the flows this run covers
        reason      TEXT NOT NULL,      -- first start | schedule | operator
        state       TEXT NOT NULL DEFAULT 'running'
                    CHECK (state IN ('running', 'done', 'superseded')),
        started_at  REAL NOT NULL,
        finished_at REAL,
        slices_left INTEGER NOT NULL DEFAULT 0,  -- slice jobs of this run queued or running
        slices_done INTEGER NOT NULL DEFAULT 0,
        items       INTEGER NOT NULL DEFAULT 0,  -- items listed so far
        fresh       TEXT NOT NULL DEFAULT '[]',  -- flows whose pull had never finished a pass
        PRIMARY KEY (connection, run_id)
    );
    -- The hash of a version the channel refused: not offered again until the item changes.
    ALTER TABLE item_state ADD COLUMN refused_hash TEXT;
    -- Audit mode: the last record seen (to write it as discontinued once it is gone) and the
    -- pass that found it gone (NULL: present).
    ALTER TABLE audit ADD COLUMN record TEXT;
    ALTER TABLE audit ADD COLUMN gone_pass INTEGER;
    CREATE INDEX audit_gone ON audit (connection, entity, gone_pass) WHERE gone_pass IS NOT NULL;
    ALTER TABLE connection_state ADD COLUMN last_ghost_at REAL;

    CREATE TABLE notifications (
        id          INTEGER PRIMARY KEY,
        connection  TEXT NOT NULL,
        kind        TEXT NOT NULL,
        subject     TEXT NOT NULL,
        body        TEXT NOT NULL,
        created_at  REAL NOT NULL,
        sent_at     REAL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT
    );
    CREATE INDEX notifications_unsent ON notifications (created_at) WHERE sent_at IS NULL;
    """,
    # Budget planner (issue 7): calls spent per system per minute, for burn rates over the last
    # hour and day (daemon/ops/planner_history.py keeps 8 days).
    """
    CREATE TABLE budget_history (
        system        TEXT NOT NULL,
        minute        INTEGER NOT NULL,
        calls         REAL NOT NULL,
        rate_limited  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (system, minute)
    ) WITHOUT ROWID;
    """,
    # Webhook receiver (issue 5): the dispatcher finds stored events not yet turned into jobs,
    # and remembers why one could not be (it is tried again later).
    """
    ALTER TABLE events ADD COLUMN last_error TEXT;
    CREATE INDEX events_pending ON events (id) WHERE processed_at IS NULL;
    """,
    # Links made by a person (issue 14: `syncwright link`): who made it; NULL for a flow's.
    # A flow honours a person's link where it would otherwise refuse an ambiguous match.
    """
    ALTER TABLE links ADD COLUMN made_by TEXT;
    """,
    # Change feeds (issue 13 item 2): when the pass in progress started (daemon clock), so the
    # next pass resumes early enough however long this one takes (flows/cursor.py).
    """
    ALTER TABLE cursors ADD COLUMN pass_started REAL;
    """,
    # Progress of long work (issue 15): the pages and items the pass in progress has applied,
    # so status, events, metrics and the TUI show a first change pass's progress; and when an
    # item was last read from the source, with its change token then (an item's sync health).
    """
    ALTER TABLE cursors ADD COLUMN pass_pages INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE cursors ADD COLUMN pass_items INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE item_state ADD COLUMN seen_at REAL;
    ALTER TABLE item_state ADD COLUMN seen_token TEXT;
    """,
    # Our sync log mirrored to a channel that shows it (daemon/synclog_mirror.py): what the
    # channel was last told per connection and flow (the full run whose start and end it has,
    # the partial sync time) and the errors it holds; the difference to sync_errors is owed.
    """
    CREATE TABLE synclog_mirror (
        connection TEXT NOT NULL,
        flow TEXT NOT NULL,
        channel TEXT NOT NULL,
        run_started INTEGER NOT NULL DEFAULT 0,
        run_finished INTEGER NOT NULL DEFAULT 0,
        partial_at REAL,
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        PRIMARY KEY (connection, flow)
    ) WITHOUT ROWID;
    CREATE TABLE synclog_mirror_errors (
        connection TEXT NOT NULL,
        flow TEXT NOT NULL,
        external_id TEXT NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (connection, flow, external_id)
    ) WITHOUT ROWID;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(RuntimeError):
    """The state file was written by a newer Syncwright than this one."""


def migrate(conn: sqlite3.Connection, path: str) -> tuple[int, int]:
    """Bring the schema up to date; returns (version before, version after)."""
    (current,) = conn.execute("PRAGMA user_version").fetchone()
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the state file {path} has schema version {current}, but this Syncwright knows "
            f"only up to {SCHEMA_VERSION}: run the newer Syncwright that wrote it, or restore "
            f"a backup taken before the upgrade"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return current, SCHEMA_VERSION


def _statements(script: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement knows where they end)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise ValueError(f"incomplete statement in migration: {buf.strip()[:80]}")
    return out
