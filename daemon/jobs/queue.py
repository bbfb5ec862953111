"""The persistent priority queue: enqueue with dedup, lease, finish, retry and dead letters.

Jobs live in the ``jobs`` table until pruned; a job is never deleted when taken (huey and
Sidekiq's BasicFetch lose jobs that way). States: pending -> leased -> done | dead, and back to
pending for a retry. The reads (counts, listings, views such as "ready" or "retrying") are in
daemon/jobs/views.py.

Attempts are counted when a job is leased (as Oban does), not when it fails: a job whose run
kills the daemon has used its attempt already, so recovering it needs no guess, and a job that
kills the daemon every time ends as a poison pill instead of looping for ever.

This module and its helper daemon/jobs/requeue.py are the only writers of ``jobs`` (a test
holds the daemon to it). Every change goes through the store's batching writer. The ``*_in``
methods are the synchronous forms for use inside another ``store.write`` function, so a flow
can commit its results, its cursor, the next page's job and "this job is done" in one
transaction, or bring forward the jobs that wait for it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import anyio

from syncwright.daemon.clock import Clock
from syncwright.daemon.jobs import requeue
from syncwright.daemon.jobs.job import (
    EnqueueResult,
    Job,
    JobClass,
    JobSpec,
    LeaseFilter,
    LeaseLost,
    QueueCounts,
    RecoveryReport,
    SpecRow,
)
from syncwright.daemon.jobs.retry import RetryDecision
from syncwright.daemon.jobs.views import QueueView
from syncwright.daemon.store.db import Store

__all__ = [
    "EnqueueResult",
    "Job",
    "JobClass",
    "JobSpec",
    "LeaseFilter",
    "LeaseLost",
    "Queue",
    "QueueCounts",
    "QueueView",
    "RecoveryReport",
    "explain_lease",
]


# Lease in two statements: the ready ids from the covering index, then the update by id. One
# "UPDATE ... WHERE id IN (SELECT ...)" measured 5-10x slower once the table outgrew the page
# cache (scripts/bench_queue.py).
# With a LeaseFilter: its condition, and the kind and payload, which say what a job claims.
_READY = """
SELECT {cols} FROM jobs
WHERE connection = ? AND state = 'pending' AND class IN ({marks}) AND run_at <= ?{where}
ORDER BY class, run_at, id LIMIT ?"""
# Each lease names its run: the owner plus a token drawn per row (requeue.OWNED).
_TAKE = """
UPDATE jobs SET state = 'leased', attempts = attempts + 1,
    lease_owner = ? || '/' || lower(hex(randomblob(8))), lease_expires_at = ?
WHERE id IN ({marks}) RETURNING *"""
_INSERT = """
INSERT INTO jobs (connection, kind, class, state, dedup_key, payload, run_at, enqueued_at)
VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)"""
# The conflict target repeats the partial index's predicate, as SQLite requires.
_UPSERT = (
    _INSERT
    + """
ON CONFLICT (connection, dedup_key) WHERE dedup_key IS NOT NULL AND state = 'pending'
DO UPDATE SET class = min(class, excluded.class), run_at = min(run_at, excluded.run_at)
RETURNING id"""
)


def _marks(n: int) -> str:
    return ",".join("?" * n)


def explain_lease(conn: sqlite3.Connection, classes: Collection[int]) -> list[str]:
    """The query plan of the lease's search for ready jobs, for the benchmark and a test: it
    must be an index search with no temporary B-tree (that would sort every ready job)."""
    sql = "EXPLAIN QUERY PLAN " + _READY.format(cols="id", marks=_marks(len(classes)), where="")
    return [row[3] for row in conn.execute(sql, ("c", *sorted(classes), 0.0, 1))]


class Queue(QueueView):
    """Every change to the ``jobs`` table; the reads are :class:`QueueView`'s."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        lease_seconds: float = 300.0,
        max_orphaned: int = 3,
        on_dead: requeue.DeadHook | None = None,
    ) -> None:
        super().__init__(store, clock)
        self.lease_seconds = lease_seconds
        self.max_orphaned = max_orphaned
        #: Called in the transaction in which a poison pill goes dead (requeue.requeue_leased);
        #: jobs that die of a failed run get their hook from the actor (flows.FAILURE_HOOKS).
        self.on_dead = on_dead
        self._signals: dict[str, anyio.Event] = {}

    # -- wake-ups ---------------------------------------------------------------------------

    def signal(self, connection: str) -> anyio.Event:
        """An event set the next time work may have become ready for ``connection``. Take it
        *before* leasing, then wait on it if the lease came back empty: no wake-up is lost."""
        event = self._signals.get(connection)
        if event is None:
            event = self._signals[connection] = anyio.Event()
        return event

    def notify(self, connection: str | None = None) -> None:
        """Wake the waiters of one connection (None: all). The async methods call this; call it
        yourself after a ``store.write`` that used :meth:`enqueue_in`."""
        names = [connection] if connection is not None else list(self._signals)
        for name in names:
            event = self._signals.pop(name, None)
            if event is not None:
                event.set()

    # -- enqueue -----------------------------------------------------------------------------

    def enqueue_in(self, conn: sqlite3.Connection, connection: str, spec: JobSpec) -> EnqueueResult:
        """Enqueue inside the caller's write transaction. A pending job with the same dedup key
        absorbs the spec: it keeps its payload and takes the higher class and earlier run_at.
        A leased job never absorbs one (it may have read the data already)."""
        return self._insert(conn, connection, spec.row())

    async def enqueue(self, connection: str, spec: JobSpec) -> EnqueueResult:
        row = spec.row()
        result = await self._store.write(lambda conn: self._insert(conn, connection, row))
        self.notify(connection)
        return result

    async def enqueue_many(
        self, connection: str, specs: Iterable[JobSpec], *, chunk: int = 1000
    ) -> list[EnqueueResult]:
        """Enqueue in transactions of ``chunk`` jobs, so a bulk load never holds the writer
        for long (atomic per chunk only; use enqueue_in in one write for all-or-nothing)."""
        rows = [spec.row() for spec in specs]
        results: list[EnqueueResult] = []
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            results += await self._store.write(partial(self._insert_all, connection, part))
            self.notify(connection)
        return results

    def _insert_all(
        self, connection: str, rows: Sequence[SpecRow], conn: sqlite3.Connection
    ) -> list[EnqueueResult]:
        return [self._insert(conn, connection, row) for row in rows]

    def _insert(self, conn: sqlite3.Connection, connection: str, row: SpecRow) -> EnqueueResult:
        kind, cls, payload, dedup_key, run_at = row
        now = self._clock.now()
        values = (connection, kind, cls, dedup_key, payload, now if run_at is None else run_at, now)
        if dedup_key is None:
            return EnqueueResult(conn.execute(_INSERT, values).lastrowid or 0, merged=False)
        # A new row takes id max(id) + 1 (INTEGER PRIMARY KEY, one writer), so an id not above
        # the maximum before the upsert means an existing job was updated.
        (top,) = conn.execute("SELECT max(id) FROM jobs").fetchone()
        ((job_id,),) = conn.execute(_UPSERT, values).fetchall()
        return EnqueueResult(job_id, merged=top is not None and job_id <= top)

    # -- lease and finish --------------------------------------------------------------------

    async def lease(
        self,
        connection: str,
        owner: str,
        classes: Collection[int],
        limit: int,
        only: LeaseFilter | None = None,
    ) -> list[Job]:
        """Take up to ``limit`` (at most 500) ready jobs of ``classes`` (that pass ``only``),
        class order then oldest run_at first. Each gets ``attempts + 1`` and a lease of
        ``lease_seconds`` to renew or finish in. A leased job's ``lease_owner`` is ``owner``
        plus a token of this run: only this run can renew, save, finish or fail it."""
        wanted = sorted(set(classes))
        limit = min(limit, 500)  # the ids go into one statement; SQLite caps its variables
        if not wanted or limit <= 0:
            return []
        cols, where = ("id", "") if only is None else ("id, kind, payload", f" AND {only.where}")
        ready = _READY.format(cols=cols, marks=_marks(len(wanted)), where=where)
        extra = () if only is None else only.params

        def take(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            now = self._clock.now()
            rows = conn.execute(ready, (connection, *wanted, now, *extra, limit)).fetchall()
            ids = [row[0] for row in rows] if only is None else only.pick(rows)
            if not ids:
                return []
            params = (owner, now + self.lease_seconds, *ids)
            return conn.execute(_TAKE.format(marks=_marks(len(ids))), params).fetchall()

        jobs = [Job.from_row(row) for row in await self._store.write(take)]
        return sorted(jobs, key=lambda job: (job.cls, job.run_at, job.id))

    async def renew(self, runs: Iterable[Job]) -> int:
        """Extend the leases these runs still hold; returns how many they still hold."""
        params = [requeue.owned(job) for job in runs]

        def extend(conn: sqlite3.Connection) -> int:
            until = self._clock.now() + self.lease_seconds
            sql = f"UPDATE jobs SET lease_expires_at = ? WHERE {requeue.OWNED}"
            return conn.executemany(sql, [(until, *p) for p in params]).rowcount

        return await self._store.write(extend)

    def complete_in(
        self, conn: sqlite3.Connection, job: Job, *, progress: Mapping[str, Any] | None = None
    ) -> None:
        """Mark ``job`` done inside the caller's transaction. Raises LeaseLost (rolling the
        caller's write back) if this run no longer holds the job."""
        saved = json.dumps(progress) if progress is not None else None
        cur = conn.execute(
            "UPDATE jobs SET state = 'done', finished_at = ?, progress = coalesce(?, progress),"
            f" lease_owner = NULL, lease_expires_at = NULL WHERE {requeue.OWNED}",
            (self._clock.now(), saved, *requeue.owned(job)),
        )
        if cur.rowcount != 1:
            raise LeaseLost(f"job {job.id} ({job.kind}) is no longer leased by this run")

    async def complete(self, job: Job, *, progress: Mapping[str, Any] | None = None) -> None:
        await self._store.write(partial(self.complete_in, job=job, progress=progress))

    async def save_progress(self, job: Job, progress: Mapping[str, Any]) -> None:
        """Save how far a long job got, so its next attempt resumes there; renews the lease."""

        def save(conn: sqlite3.Connection) -> None:
            until = self._clock.now() + self.lease_seconds
            sql = f"UPDATE jobs SET progress = ?, lease_expires_at = ? WHERE {requeue.OWNED}"
            params = (json.dumps(progress), until, *requeue.owned(job))
            if conn.execute(sql, params).rowcount != 1:
                raise LeaseLost(f"job {job.id} ({job.kind}) is no longer leased by this run")

        await self._store.write(save)

    async def fail(
        self,
        job: Job,
        decision: RetryDecision,
        error_kind: str,
        message: str,
        *,
        also: Callable[[sqlite3.Connection], None] | None = None,
    ) -> bool:
        """Apply a retry decision (see :func:`daemon.jobs.requeue.apply_failure`) and record the
        error in the job's history; ``also`` runs in the same transaction when the job is still
        held. Returns False, changing nothing, if this run no longer holds the job: another run
        owns it and will record its own outcome."""

        def write(conn: sqlite3.Connection) -> bool:
            held = requeue.apply_failure(
                conn, self._clock.now(), job, decision, error_kind, message
            )
            if held and also is not None:
                also(conn)
            return held

        held = await self._store.write(write)
        if held and decision.action != "dead":
            self.notify(job.connection)
        return held

    # -- changes a flow makes to other jobs, inside its own write ------------------------------

    def hurry_in(
        self,
        conn: sqlite3.Connection,
        connection: str,
        kind: str,
        flow: str,
        now: float,
        *,
        untried_only: bool = False,
    ) -> None:
        """Pending ``kind`` jobs of ``flow`` run now instead of at their next look (their
        run_at is brought forward, never put back). With ``untried_only``, jobs that failed
        before keep their retry time. Call :meth:`notify` after the write."""
        untried = " AND attempts = 0" if untried_only else ""
        conn.execute(
            "UPDATE jobs SET run_at = min(run_at, ?) WHERE connection = ? AND state = 'pending'"
            f" AND kind = ?{untried} AND json_extract(payload, '$.flow') = ?",
            (now, connection, kind, flow),
        )

    def supersede_in(
        self, conn: sqlite3.Connection, connection: str, kind: str, why: str, now: float
    ) -> None:
        """Close the pending ``kind`` jobs of ``connection`` as done, with ``why`` as their
        last error: newer work replaces them (a full sync started over)."""
        conn.execute(
            "UPDATE jobs SET state = 'done', finished_at = ?, lease_owner = NULL, last_error = ?"
            " WHERE connection = ? AND kind = ? AND state = 'pending'",
            (now, why, connection, kind),
        )

    def note_in(self, conn: sqlite3.Connection, job: Job, progress: Mapping[str, Any]) -> None:
        """Record ``progress`` on ``job`` in the caller's write (kept when it completes)."""
        conn.execute("UPDATE jobs SET progress = ? WHERE id = ?", (json.dumps(progress), job.id))

    # -- recovery ----------------------------------------------------------------------------

    async def recover_orphans(self) -> RecoveryReport:
        """At start-up, before any worker runs: every leased job is an orphan of a crash."""
        report = await self._requeue("state = 'leased'", (), "the daemon stopped")
        self.notify()
        return report

    async def reap_expired(self, connection: str | None = None) -> int:
        """Requeue leased jobs whose lease ran out (their worker died or hung); they count as
        orphaned too. Returns how many."""
        where = "state = 'leased' AND lease_expires_at < ?"
        params: tuple[Any, ...] = (self._clock.now(),)
        if connection is not None:
            where, params = "connection = ? AND " + where, (connection, *params)
        report = await self._requeue(where, params, "its lease ran out")
        if report.requeued:  # only then: an idle daemon stays idle
            self.notify(connection)
        return len(report.requeued) + len(report.dead)

    async def _requeue(self, where: str, params: tuple[Any, ...], why: str) -> RecoveryReport:
        return await self._store.write(
            lambda conn: requeue.requeue_leased(
                conn,
                self._clock.now(),
                where=where,
                params=params,
                why=why,
                max_orphaned=self.max_orphaned,
                on_dead=self.on_dead,
            )
        )

    async def retry_dead(
        self, connection: str, job_id: int | None = None, *, kind: str | None = None
    ) -> int:
        """An operator's retry: dead jobs go back to pending now with fresh attempts and
        give-up clock, keeping their error history. One job, or all (of one kind)."""
        where = "connection = ? AND state = 'dead'"
        params: tuple[str | int, ...] = (connection,)
        if job_id is not None:
            where, params = where + " AND id = ?", (*params, job_id)
        if kind is not None:
            where, params = where + " AND kind = ?", (*params, kind)
        count = await self._store.write(
            lambda conn: requeue.revive_dead(conn, self._clock.now(), where=where, params=params)
        )
        self.notify(connection)
        return count

    async def prune(self, done_before: float, dead_before: float, batch: int = 1000) -> int:
        """Delete done jobs finished before ``done_before`` and dead ones before
        ``dead_before``, ``batch`` rows per transaction so the writer is never held long."""
        # "state IN (...)" repeats the partial index's predicate so SQLite can use jobs_finished.
        sql = (
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state IN ('done', 'dead')"
            " AND state = ? AND finished_at < ? LIMIT ?)"
        )
        total = 0
        for state, before in (("done", done_before), ("dead", dead_before)):
            while True:
                n = await self._store.write(partial(_delete, sql, (state, before, batch)))
                total += n
                if n < batch:
                    break
        return total

    async def forget(self, connection: str) -> int:
        """Delete every job of a connection (it was removed from the config)."""
        sql = "DELETE FROM jobs WHERE connection = ?"
        return await self._store.write(lambda conn: conn.execute(sql, (connection,)).rowcount)


def _delete(sql: str, params: tuple[Any, ...], conn: sqlite3.Connection) -> int:
    return conn.execute(sql, params).rowcount
