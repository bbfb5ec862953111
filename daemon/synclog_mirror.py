"""Our sync log, mirrored to a channel that shows it to the merchant (SparkLayer's sync-log API,
``connectors.history.SyncLogMirror``).

The mirror is owed work kept durably: ``synclog_mirror`` records, per connection and flow, what
the channel was last told (the full run whose start it has, the run whose end it has, the last
partial sync time) and ``synclog_mirror_errors`` the errors it holds. Whatever differs from our
own log (``sync_errors``, ``full_runs``, ``connection_state``) is still owed, so nothing is lost
when the daemon is killed: the next round (after a restart too) sends it again, and every call
is safe to repeat. A row changes only after the channel accepted the call.

For each flow a round sends, in order:

- a full run the channel has not seen start: ``log_full`` (PUT) with its start and our errors
  at that moment, which replace the channel's (a full sync clears earlier errors); a flow no
  full run covers yet (or ever: those a full sync cannot list) starts with a PUT with no times;
- errors added, changed or resolved since: ``log_partial`` (PATCH), with our last partial sync
  time when it moved; a PATCH that would only move that time waits until the time the channel
  shows is ``partial_every`` seconds old (default 5 minutes), so a pull every 30 s costs one
  call per flow every 5 minutes, not two a minute;
- the run finished (every slice done, ``full_runs.state = 'done'``): ``log_full`` with both
  times and every open error, so ``last_full_sync`` reaches the channel only then.

It runs as its own task beside the actors (never inside a sync job, so a slow or failing
channel never holds a sync up); a failed round is logged, counted in ``synclog_mirror`` and
tried again later with a growing pause.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import anyio
import structlog
from anyio.abc import TaskStatus

from syncwright.connectors.base import Connector
from syncwright.connectors.history import SyncLogMirror
from syncwright.daemon.clock import Clock
from syncwright.daemon.store.db import Store

log = structlog.get_logger("syncwright.synclog_mirror")

MAX_PAUSE = 300.0
#: Seconds between PATCHes that only move the last partial sync time.
PARTIAL_EVERY = 300.0


@dataclass(frozen=True, slots=True)
class Target:
    """One connection whose channel mirrors the sync log."""

    connection: str
    channel: str
    flows: tuple[str, ...]


@dataclass(slots=True)
class _Sent:
    exists: bool
    run_started: int
    run_finished: int
    partial_at: float | None
    errors: dict[str, str]


class Mirror:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        targets: Callable[[], list[Target]],
        connectors: Mapping[str, Connector],
        interval: float = 1.0,
        partial_every: float = PARTIAL_EVERY,
    ) -> None:
        self.store = store
        self.clock = clock
        self.targets = targets
        self.connectors = connectors
        self.interval = interval
        self.partial_every = partial_every
        self._retry_at: dict[tuple[str, str], float] = {}

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await self.round()
            await anyio.sleep(self.interval)  # real time: a fake clock must not spin it

    async def round(self) -> int:
        """Mirror every flow of every target once; returns the calls that succeeded."""
        done = 0
        for target in self.targets():
            channel = self.connectors.get(target.channel)
            if not isinstance(channel, SyncLogMirror):
                continue
            for flow in target.flows:
                if not channel.mirrors_flow(flow):
                    continue
                key = (target.connection, flow)
                if self.clock.now() < self._retry_at.get(key, 0.0):
                    continue
                try:
                    done += await mirror_flow(
                        self.store,
                        channel,
                        target,
                        flow,
                        now=self.clock.now(),
                        partial_every=self.partial_every,
                    )
                except anyio.get_cancelled_exc_class():
                    raise
                except Exception as exc:  # a failed round is retried later
                    await self._failed(target, flow, exc)
                else:
                    self._retry_at.pop(key, None)
        return done

    async def _failed(self, target: Target, flow: str, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"[:500]
        failures = await self.store.write(lambda c: _record_failure(c, target, flow, message))
        pause = min(self.interval * 2 ** min(failures, 10), MAX_PAUSE)
        self._retry_at[(target.connection, flow)] = self.clock.now() + pause
        log.warning(
            "synclog_mirror.failed",
            connection=target.connection,
            flow=flow,
            failures=failures,
            retry_in=pause,
            error=message,
        )


async def mirror_flow(
    store: Store,
    channel: SyncLogMirror,
    target: Target,
    flow: str,
    *,
    now: float,
    partial_every: float = PARTIAL_EVERY,
) -> int:
    """Bring the channel's log of one flow up to ours; returns the calls made. A change of
    the last partial sync time alone is sent once the channel's is ``partial_every`` old."""
    cn = target.connection
    run = await store.fetchone(
        "SELECT run_id, state, started_at, finished_at FROM full_runs WHERE connection = ?"
        " AND EXISTS (SELECT 1 FROM json_each(full_runs.flows) WHERE value = ?)"
        " ORDER BY run_id DESC LIMIT 1",
        (cn, flow),
    )
    sent = await _sent(store, cn, flow)
    calls = 0
    run_id = 0 if run is None else int(run["run_id"])
    done = run is not None and run["state"] == "done"
    if sent.run_started < run_id or not sent.exists:
        # A flow no full run covers (one a full sync cannot list: customers, prices) starts
        # its log with both times empty; it has partial syncs only.
        mine = await _ours(store, cn, flow)
        started = None if run is None else run["started_at"]
        finished = run["finished_at"] if done and run is not None else None
        errors = sorted(mine.items())
        await channel.log_full(flow, started=started, finished=finished, errors=errors)
        ended = run_id if done else sent.run_finished
        await store.write(lambda c: _save_full(c, target, flow, run_id, ended, mine))
        sent = _Sent(True, run_id, ended, sent.partial_at, mine)
        calls += 1
    mine = await _ours(store, cn, flow)
    state = await store.fetchone(
        "SELECT last_partial_sync FROM connection_state WHERE connection = ?", (cn,)
    )
    partial = None if state is None else state["last_partial_sync"]
    moved = partial is not None and (sent.partial_at is None or partial > sent.partial_at)
    added = {k: v for k, v in mine.items() if sent.errors.get(k) != v}
    resolved = sorted(k for k in sent.errors if k not in mine)
    due = sent.partial_at is None or now >= sent.partial_at + partial_every
    if added or resolved or (moved and due):
        when = partial if moved else None
        await channel.log_partial(flow, when=when, errors=sorted(added.items()), resolved=resolved)
        await store.write(lambda c: _save_partial(c, cn, flow, when, added, resolved))
        calls += 1
    if done and run is not None and sent.run_finished < run_id:
        mine = await _ours(store, cn, flow)
        started, finished = run["started_at"], run["finished_at"]
        errors = sorted(mine.items())
        await channel.log_full(flow, started=started, finished=finished, errors=errors)
        await store.write(lambda c: _save_full(c, target, flow, run_id, run_id, mine))
        calls += 1
    return calls


async def _ours(store: Store, connection: str, flow: str) -> dict[str, str]:
    rows = await store.fetchall(
        "SELECT external_id, message FROM sync_errors WHERE connection = ? AND flow = ?",
        (connection, flow),
    )
    return {r["external_id"]: r["message"] for r in rows}


async def _sent(store: Store, connection: str, flow: str) -> _Sent:
    row = await store.fetchone(
        "SELECT run_started, run_finished, partial_at FROM synclog_mirror"
        " WHERE connection = ? AND flow = ?",
        (connection, flow),
    )
    rows = await store.fetchall(
        "SELECT external_id, message FROM synclog_mirror_errors WHERE connection = ? AND flow = ?",
        (connection, flow),
    )
    errors = {r["external_id"]: r["message"] for r in rows}
    if row is None:
        return _Sent(False, 0, 0, None, errors)
    return _Sent(True, row["run_started"], row["run_finished"], row["partial_at"], errors)


def _upsert(conn: sqlite3.Connection, target: Target, flow: str) -> None:
    conn.execute(
        "INSERT INTO synclog_mirror (connection, flow, channel) VALUES (?, ?, ?)"
        " ON CONFLICT (connection, flow) DO UPDATE SET channel = excluded.channel",
        (target.connection, flow, target.channel),
    )


def _save_full(
    conn: sqlite3.Connection,
    target: Target,
    flow: str,
    started: int,
    finished: int,
    errors: Mapping[str, str],
) -> None:
    _upsert(conn, target, flow)
    conn.execute(
        "UPDATE synclog_mirror SET run_started = ?, run_finished = ?, failures = 0,"
        " last_error = NULL WHERE connection = ? AND flow = ?",
        (started, finished, target.connection, flow),
    )
    conn.execute(
        "DELETE FROM synclog_mirror_errors WHERE connection = ? AND flow = ?",
        (target.connection, flow),
    )
    conn.executemany(
        "INSERT INTO synclog_mirror_errors (connection, flow, external_id, message)"
        " VALUES (?, ?, ?, ?)",
        [(target.connection, flow, k, v) for k, v in errors.items()],
    )


def _save_partial(
    conn: sqlite3.Connection,
    connection: str,
    flow: str,
    when: float | None,
    added: Mapping[str, str],
    resolved: list[str],
) -> None:
    if when is not None:
        conn.execute(
            "UPDATE synclog_mirror SET partial_at = ? WHERE connection = ? AND flow = ?",
            (when, connection, flow),
        )
    conn.execute(
        "UPDATE synclog_mirror SET failures = 0, last_error = NULL"
        " WHERE connection = ? AND flow = ?",
        (connection, flow),
    )
    conn.executemany(
        "INSERT INTO synclog_mirror_errors (connection, flow, external_id, message)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (connection, flow, external_id)"
        " DO UPDATE SET message = excluded.message",
        [(connection, flow, k, v) for k, v in added.items()],
    )
    conn.executemany(
        "DELETE FROM synclog_mirror_errors WHERE connection = ? AND flow = ? AND external_id = ?",
        [(connection, flow, k) for k in resolved],
    )


def _record_failure(conn: sqlite3.Connection, target: Target, flow: str, message: str) -> int:
    _upsert(conn, target, flow)
    conn.execute(
        "UPDATE synclog_mirror SET failures = failures + 1, last_error = ?"
        " WHERE connection = ? AND flow = ?",
        (message, target.connection, flow),
    )
    row = conn.execute(
        "SELECT failures FROM synclog_mirror WHERE connection = ? AND flow = ?",
        (target.connection, flow),
    ).fetchone()
    return int(row[0])


def forget_channel(conn: sqlite3.Connection, channel: str) -> None:
    """Inside a write: the channel's logs were deleted (``forget`` deletes a whole site's), so
    every connection mirroring to it owes its log again from the last full run."""
    conn.execute(
        "DELETE FROM synclog_mirror_errors WHERE (connection, flow) IN"
        " (SELECT connection, flow FROM synclog_mirror WHERE channel = ?)",
        (channel,),
    )
    conn.execute("DELETE FROM synclog_mirror WHERE channel = ?", (channel,))


# -- forgetting a connection -------------------------------------------------------------------


def channels_of(conn: sqlite3.Connection, connection: str) -> list[str]:
    """The channels ``connection``'s sync log was mirrored to."""
    rows = conn.execute(
        "SELECT DISTINCT channel FROM synclog_mirror WHERE connection = ? ORDER BY channel",
        (connection,),
    )
    return [row[0] for row in rows]


async def forget_remote(channels: Mapping[str, Connector | None]) -> dict[str, str]:
    """Ask each channel to delete its site's sync logs (``syncwright forget``); returns why,
    per channel that could not: a channel missing from the config, or a failed call. The
    caller forgets nothing locally then, so running ``forget`` again retries."""
    failed: dict[str, str] = {}
    for name, connector in channels.items():
        if connector is None:
            failed[name] = "the system is no longer in the config"
        elif isinstance(connector, SyncLogMirror):
            try:
                await connector.forget_logs()
            except Exception as exc:  # reported; the caller keeps the state
                failed[name] = f"{type(exc).__name__}: {exc}"[:300]
    return failed
