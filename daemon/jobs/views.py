"""The queue's read side: what the actor, the control socket and the UI ask of the jobs table.

Reads only, on the store's reader connection (in WAL mode they never wait for the writer);
:class:`daemon.jobs.queue.Queue` inherits them and makes every change. "ready", "scheduled"
and "retrying" are views of pending jobs, derived from ``run_at``, ``attempts`` and
``last_error``, not stored.
"""

from __future__ import annotations

from collections.abc import Collection

from syncwright.daemon.clock import Clock
from syncwright.daemon.jobs.job import STATES, Job, QueueCounts
from syncwright.daemon.store.db import Store

_FAILED = "attempts > 0 AND last_error IS NOT NULL"
# Each view as a condition that the jobs_ready index narrows before any table row is read.
_VIEWS = {
    "ready": "state = 'pending' AND run_at <= :now",
    "scheduled": f"state = 'pending' AND run_at > :now AND NOT ({_FAILED})",
    "retrying": f"state = 'pending' AND run_at > :now AND {_FAILED}",
}


class QueueView:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    # -- reads -------------------------------------------------------------------------------

    async def next_run_at(self, connection: str, classes: Collection[int]) -> float | None:
        """The soonest run_at among pending jobs of ``classes``: when the actor should look
        again. One min() per class keeps each an index lookup."""
        wanted = sorted(set(classes))
        if not wanted:
            return None
        one = (
            "SELECT min(run_at) AS m FROM jobs"
            " WHERE connection = ? AND state = 'pending' AND class = ?"
        )
        sql = "SELECT min(m) FROM (" + " UNION ALL ".join([one] * len(wanted)) + ")"
        row = await self._store.fetchone(sql, [v for c in wanted for v in (connection, c)])
        return None if row is None else row[0]

    async def oldest_overdue(
        self, connection: str, classes: Collection[int], before: float
    ) -> int | None:
        """The class whose oldest pending job has been ready since before ``before``, the
        oldest such; None when none has waited that long. One index lookup per class."""
        oldest: tuple[float, int] | None = None
        for cls in sorted(set(classes)):
            row = await self._store.fetchone(
                "SELECT min(run_at) FROM jobs WHERE connection = ? AND state = 'pending'"
                " AND class = ?",
                (connection, cls),
            )
            since = None if row is None else row[0]
            if since is not None and since < before and (oldest is None or since < oldest[0]):
                oldest = (since, cls)
        return None if oldest is None else oldest[1]

    async def counts(self, connection: str) -> QueueCounts:
        now = self._clock.now()
        params = {"c": connection, "now": now}
        # Grouped in index order over the index alone; only future pending jobs, usually few,
        # are read from the table to tell retrying from scheduled.
        rows = await self._store.fetchall(
            "SELECT class, state, count(*) AS n, min(run_at) AS oldest FROM jobs"
            " WHERE connection = :c AND (state != 'pending' OR run_at <= :now)"
            " GROUP BY state, class",
            params,
        )
        later = await self._store.fetchall(
            f"SELECT class, CASE WHEN {_FAILED} THEN 'retrying' ELSE 'scheduled' END AS view,"
            " count(*) AS n FROM jobs WHERE connection = :c AND state = 'pending'"
            " AND run_at > :now GROUP BY class, view",
            params,
        )
        counts = {(r["class"], r["state"].replace("pending", "ready")): r["n"] for r in rows}
        counts |= {(r["class"], r["view"]): r["n"] for r in later}
        ages = {r["class"]: now - r["oldest"] for r in rows if r["state"] == "pending"}
        return QueueCounts(connection, now, counts, ages)

    async def jobs(
        self, connection: str, *, state: str | None = None, limit: int = 100
    ) -> list[Job]:
        """Jobs for the UI: ``state`` is a stored state or a view (ready, scheduled, retrying).
        Done and dead jobs come newest first, pending and leased ones in run order."""
        where, order = "connection = :c", "id DESC"
        if state in _VIEWS:
            where += " AND " + _VIEWS[state]
        elif state in STATES:
            where += " AND state = :s"
        elif state is not None:
            known = ", ".join(STATES + tuple(_VIEWS))
            raise ValueError(f"unknown job state {state!r}: use one of {known}")
        if state in ("done", "dead"):
            order = "finished_at DESC, id DESC"
        elif state is not None:
            order = "class, run_at, id"
        rows = await self._store.fetchall(
            f"SELECT * FROM jobs WHERE {where} ORDER BY {order} LIMIT :n",
            {"c": connection, "s": state, "now": self._clock.now(), "n": limit},
        )
        return [Job.from_row(row) for row in rows]

    async def get(self, job_id: int) -> Job | None:
        row = await self._store.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return None if row is None else Job.from_row(row)
