"""Job records: what the queue stores and hands out, and the words for their classes and states.

A job is pending, leased, done or dead in the table. "ready", "scheduled" and "retrying" are
views of a pending job, derived from ``run_at``, ``attempts`` and ``last_error``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

STATES = ("pending", "leased", "done", "dead")
VIEWS = ("ready", "scheduled", "retrying", "leased", "done", "dead")


class JobClass(IntEnum):
    SALE = 0
    MANUAL = 1
    RECENT = 2
    GHOST = 3
    FULL = 4


class LeaseLost(RuntimeError):
    """The job is no longer leased by this attempt (its lease ran out and it was requeued, or
    it was recovered at start-up): another run owns it now, so this one must not finish it."""


@dataclass(frozen=True, slots=True)
class JobSpec:
    kind: str
    cls: int
    payload: Mapping[str, Any] = field(default_factory=dict)
    dedup_key: str | None = None
    run_at: float | None = None

    def row(self) -> SpecRow:
        """Checked and serialised for the queue's insert, so a bad spec fails its caller and
        not the store's writer."""
        if self.cls not in JobClass.__members__.values():
            raise ValueError(f"job class must be 0 (sale) to 4 (full), not {self.cls!r}")
        if not self.kind:
            raise ValueError("a job needs a kind")
        payload = json.dumps(dict(self.payload), separators=(",", ":"))
        return (self.kind, int(self.cls), payload, self.dedup_key, self.run_at)


#: (kind, class, payload JSON, dedup key, run_at): a spec as the queue inserts it.
SpecRow = tuple[str, int, str, str | None, float | None]


@dataclass(frozen=True, slots=True)
class LeaseFilter:
    """What else a job must satisfy to be leased now, from the actor: ``where`` (an SQL
    condition over ``jobs``, with ``params``) leaves out jobs that cannot run now, and
    ``claims`` names what a job holds while it runs (its kind and payload in), so one lease
    never takes two jobs of which one would wait for the other."""

    where: str = "1"
    params: tuple[Any, ...] = ()
    claims: Callable[[str, Mapping[str, Any]], Collection[str]] | None = None

    def pick(self, rows: Sequence[sqlite3.Row]) -> list[int]:
        """The ids of ``rows`` (id, kind, payload; best first) that claim nothing an earlier
        row claims."""
        if self.claims is None:
            return [row[0] for row in rows]
        taken: set[str] = set()
        ids: list[int] = []
        for job_id, kind, payload in rows:
            held = set(self.claims(kind, json.loads(payload)))
            if held & taken:
                continue
            taken |= held
            ids.append(job_id)
        return ids


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    job_id: int
    #: True when the spec merged into a pending job with the same dedup key.
    merged: bool


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    connection: str
    kind: str
    cls: int
    state: str
    payload: dict[str, Any]
    dedup_key: str | None
    run_at: float
    enqueued_at: float
    attempts: int
    snoozes: int
    orphaned: int
    first_failed_at: float | None
    lease_expires_at: float | None
    progress: dict[str, Any] | None
    last_error: str | None
    #: Oldest first: {"at", "attempt", "kind", "message", "action", "reason"}.
    errors: tuple[dict[str, Any], ...]
    lease_owner: str | None = None
    finished_at: float | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        # RETURNING hands back REAL columns holding whole numbers as int: make them floats.
        return cls(
            id=row["id"],
            connection=row["connection"],
            kind=row["kind"],
            cls=row["class"],
            state=row["state"],
            payload=json.loads(row["payload"]),
            dedup_key=row["dedup_key"],
            run_at=float(row["run_at"]),
            enqueued_at=float(row["enqueued_at"]),
            attempts=row["attempts"],
            snoozes=row["snoozes"],
            orphaned=row["orphaned"],
            first_failed_at=_real(row["first_failed_at"]),
            lease_expires_at=_real(row["lease_expires_at"]),
            progress=json.loads(row["progress"]) if row["progress"] is not None else None,
            last_error=row["last_error"],
            errors=tuple(json.loads(row["errors"])),
            lease_owner=row["lease_owner"],
            finished_at=_real(row["finished_at"]),
        )

    def view(self, now: float) -> str:
        """One of VIEWS. A pending job whose time has come is "ready" even after failures;
        "retrying" is a failed job waiting for its next attempt."""
        if self.state != "pending":
            return self.state
        if self.run_at <= now:
            return "ready"
        return "retrying" if self.attempts > 0 and self.last_error is not None else "scheduled"


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    requeued: tuple[int, ...]
    dead: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """A snapshot of one connection's queue. ``oldest_ready_age`` maps a class to how long its
    oldest ready job has been runnable: now - run_at, since run_at is when a job became due
    (enqueued_at would count a scheduled job's wait as latency)."""

    connection: str
    at: float
    counts: Mapping[tuple[int, str], int]
    oldest_ready_age: Mapping[int, float]

    def count(self, view: str, cls: int | None = None) -> int:
        if cls is not None:
            return self.counts.get((cls, view), 0)
        return sum(n for (_, v), n in self.counts.items() if v == view)

    @property
    def latency(self) -> float | None:
        return max(self.oldest_ready_age.values(), default=None)


def _real(value: float | None) -> float | None:
    return None if value is None else float(value)
