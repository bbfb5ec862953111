"""Putting unfinished jobs back: failed runs, orphans of a crash, expired leases, operator retries.

Synchronous functions of a write connection, run by :class:`daemon.jobs.queue.Queue` inside the
store's writer. They share two rules:

- Every outcome joins the job's error history (newest MAX_ERRORS entries, messages cut to
  MAX_MESSAGE characters, Sidekiq's limit), so a dead job shows how it got there.
- A job going back to pending may meet a *twin*: a pending job with the same dedup key,
  enqueued while this one ran (a running job never absorbs new enqueues). The twin, with fresher
  data, does the work: it takes the higher class and, when it has none of its own, the saved
  progress of this job (so a long job resumes where it got to), and this job is closed as done
  with a note.
  Without this the partial unique index would refuse the second pending row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from syncwright.daemon.jobs.job import Job, RecoveryReport
from syncwright.daemon.jobs.retry import RetryDecision

MAX_MESSAGE = 10_000
MAX_ERRORS = 100
#: The lease a run holds: same job, still leased, same run. ``lease_owner`` names the run: the
#: leasing actor plus a token drawn for each lease (queue.py's ``_TAKE``), so a run whose lease
#: ran out never matches the run that leased the job after it, even in the same actor and at
#: the same attempt count (a snooze gives its attempt back). Parameters: :func:`owned`.
OWNED = "id = ? AND state = 'leased' AND lease_owner = ?"


def owned(job: Job) -> tuple[int, str | None]:
    """The parameters of :data:`OWNED` for the run ``job``."""
    return (job.id, job.lease_owner)


#: Writes a job's death makes beside the queue's own, in the same transaction:
#: (connection, the job as it was, why it died, now). An order job's sync-log error and
#: notification, for example (daemon/flows/__init__.py).
DeadHook = Callable[[sqlite3.Connection, Job, str, float], None]


def cut(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def append_error(errors_json: str, entry: dict[str, Any]) -> str:
    errors: list[dict[str, Any]] = json.loads(errors_json)
    errors.append(entry)
    return json.dumps(errors[-MAX_ERRORS:])


def apply_failure(
    conn: sqlite3.Connection,
    now: float,
    job: Job,
    decision: RetryDecision,
    error_kind: str,
    message: str,
) -> bool:
    """Apply ``decision`` to the run ``job``; False (nothing changed) if it lost its lease.

    retry -> pending at run_at; snooze -> pending at run_at, attempt given back, snoozes + 1;
    pause -> pending at run_at (default now), attempt given back; dead -> dead. Only retry and
    dead start the give-up clock (first_failed_at): rate limits and auth pauses have limits of
    their own and must not eat into the time a job gets to recover from real failures.
    """
    row = conn.execute(f"SELECT errors FROM jobs WHERE {OWNED}", owned(job)).fetchone()
    if row is None:
        return False
    action = decision.action
    entry = {
        "at": now,
        "attempt": job.attempts,
        "kind": error_kind,
        "message": cut(message),
        "action": action,
        "reason": decision.reason,
    }
    errors = append_error(row["errors"], entry)
    pending = action != "dead"
    if pending and fold_into_twin(conn, job.id, now, errors):
        return True
    conn.execute(
        "UPDATE jobs SET state = ?, run_at = coalesce(?, run_at), attempts = attempts - ?,"
        " snoozes = snoozes + ?, first_failed_at = CASE WHEN ? THEN coalesce(first_failed_at, ?)"
        " ELSE first_failed_at END, finished_at = ?, last_error = ?, errors = ?,"
        " lease_owner = NULL, lease_expires_at = NULL WHERE id = ?",
        (
            "pending" if pending else "dead",
            (decision.run_at if decision.run_at is not None else now) if pending else None,
            1 if action in ("snooze", "pause") else 0,
            1 if action == "snooze" else 0,
            action in ("retry", "dead"),
            now,
            None if pending else now,
            cut(message),
            errors,
            job.id,
        ),
    )
    return True


def requeue_leased(
    conn: sqlite3.Connection,
    now: float,
    *,
    where: str,
    params: tuple[Any, ...],
    why: str,
    max_orphaned: int,
    on_dead: DeadHook | None = None,
) -> RecoveryReport:
    """Leased jobs matching ``where`` lost their run (a crash, or a lease that ran out): back to
    pending in their old place in line, the attempt already counted at lease. A job orphaned
    ``max_orphaned`` times is a poison pill and goes dead instead of killing the daemon again;
    ``on_dead`` then writes what its death means (like any other dead job's)."""
    requeued: list[int] = []
    dead: list[int] = []
    sql = f"SELECT * FROM jobs WHERE {where}"
    for row in conn.execute(sql, params).fetchall():
        times = row["orphaned"] + 1
        poison = times >= max_orphaned
        if poison:
            message = f"poison pill: the daemon died {times} times while running this job"
        else:
            message = f"{why} while attempt {row['attempts']} was running; it will run again"
        entry = {
            "at": now,
            "attempt": row["attempts"],
            "kind": "orphaned",
            "message": message,
            "action": "dead" if poison else "retry",
            "reason": message,
        }
        errors = append_error(row["errors"], entry)
        conn.execute("UPDATE jobs SET orphaned = ? WHERE id = ?", (times, row["id"]))
        if poison or not fold_into_twin(conn, row["id"], now, errors):
            conn.execute(
                "UPDATE jobs SET state = ?, finished_at = ?, last_error = ?, errors = ?,"
                " lease_owner = NULL, lease_expires_at = NULL WHERE id = ?",
                (
                    "dead" if poison else "pending",
                    now if poison else None,
                    message,
                    errors,
                    row["id"],
                ),
            )
        if poison and on_dead is not None:
            on_dead(conn, Job.from_row(row), message, now)
        (dead if poison else requeued).append(row["id"])
    return RecoveryReport(tuple(requeued), tuple(dead))


def revive_dead(
    conn: sqlite3.Connection, now: float, *, where: str, params: tuple[Any, ...]
) -> int:
    """An operator's retry of the dead jobs matching ``where``: pending now, with fresh attempts,
    snoozes, orphan count and give-up clock; the error history stays."""
    rows = conn.execute(f"SELECT id, errors FROM jobs WHERE {where}", params).fetchall()
    for row in rows:
        if not fold_into_twin(conn, row["id"], now, row["errors"], lift=True):
            conn.execute(
                "UPDATE jobs SET state = 'pending', run_at = ?, attempts = 0, snoozes = 0,"
                " orphaned = 0, first_failed_at = NULL, finished_at = NULL WHERE id = ?",
                (now, row["id"]),
            )
    return len(rows)


def fold_into_twin(
    conn: sqlite3.Connection, job_id: int, now: float, errors: str, *, lift: bool = False
) -> bool:
    """If a pending twin of ``job_id`` exists, hand the work to it (higher class of the two;
    ``job_id``'s saved progress unless the twin has its own; with ``lift``, due now), close
    ``job_id`` as done with ``errors`` plus a note, and return True. The twin keeps its own
    run_at otherwise: it is a fresh request with its own backoff."""
    twin = conn.execute(
        "SELECT t.id FROM jobs j JOIN jobs t ON t.connection = j.connection"
        " AND t.dedup_key = j.dedup_key AND t.dedup_key IS NOT NULL AND t.state = 'pending'"
        " WHERE j.id = ? AND t.id != j.id",
        (job_id,),
    ).fetchone()
    if twin is None:
        return False
    conn.execute(
        "UPDATE jobs SET class = min(class, (SELECT class FROM jobs WHERE id = ?)),"
        " progress = coalesce(progress, (SELECT progress FROM jobs WHERE id = ?)),"
        " run_at = CASE WHEN ? THEN min(run_at, ?) ELSE run_at END WHERE id = ?",
        (job_id, job_id, lift, now, twin[0]),
    )
    message = f"job {twin[0]} with the same dedup key was queued meanwhile and does this work"
    note = {"at": now, "kind": "superseded", "action": "done", "message": message}
    conn.execute(
        "UPDATE jobs SET state = 'done', finished_at = ?, errors = ?, lease_owner = NULL,"
        " lease_expires_at = NULL WHERE id = ?",
        (now, append_error(errors, note), job_id),
    )
    return True
