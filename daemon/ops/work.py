"""Progress of long work besides a full sync (daemon/ops/progress.py has that): a flow's first
change pass, and a large backlog of queued jobs.

A first change pass (a cursor with no completed pass and a pass in progress) counts the pages
and items it has applied (``cursors.pass_pages`` / ``pass_items``); the sources do not say how
many changes a listing holds, so it has no total and no time left, but it shows its rate and
the pace the budgets allow recent (class 2) work. A backlog is a connection's ready and running
jobs (class 4, the full-sync slices, aside) once there are :data:`BACKLOG_JOBS` of them or the
oldest ready one has waited :data:`BACKLOG_AGE`: it began when its oldest job became due, its
total is the jobs done since then plus those left, and its time left is the slower of its own
rate and the budgets' pace for its most urgent class at :data:`CALLS_PER_JOB` calls a job.

:func:`collect` gathers all three kinds for status (and the TUI), metrics and
:class:`BacklogWatcher`, which announces ``backlog.progress`` events while a backlog lasts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import anyio
import structlog
from anyio.abc import TaskStatus

from syncwright.daemon.budget.budget import BudgetStats
from syncwright.daemon.clock import Clock
from syncwright.daemon.events_bus import Event, EventHub, hub_of
from syncwright.daemon.ops import progress
from syncwright.daemon.ops.progress import Progress

log = structlog.get_logger("syncwright.ops")

#: A connection with this many ready or running jobs has a backlog...
BACKLOG_JOBS = 50
#: ... and so has one whose oldest ready job has waited this long (seconds).
BACKLOG_AGE = 60.0
#: What one queued job costs on average: a read and a write.
CALLS_PER_JOB = 2
#: The class of a change pull (daemon/jobs/job.py JobClass.RECENT).
RECENT_CLASS = 2
#: Seconds between two ``backlog.progress`` events of one backlog...
ANNOUNCE_EVERY = 30.0
#: ... and between two looks for backlogs (a new one is announced this soon).
LOOK_EVERY = 5.0

FIRST_PASS_SQL = (
    "SELECT connection, flow, pass_started, pass_pages, pass_items, updated_at FROM cursors"
    " WHERE value IS NULL AND pass_after IS NOT NULL AND instr(flow, ':') = 0"
)
#: Each connection's backlog in one pass over the ready-jobs index (class 4, the full-sync
#: slices, aside): jobs left, when the oldest became due (the backlog's start), its most urgent
#: class, and the jobs done since it began (one count for each backlog only).
BACKLOG_SQL = (
    "SELECT b.connection, b.left_jobs, b.since, b.oldest, b.cls,"
    " (SELECT count(*) FROM jobs d WHERE d.state = 'done' AND d.finished_at >= b.since"
    "  AND d.connection = b.connection AND d.class < 4) AS done"
    " FROM (SELECT connection, count(*) AS left_jobs, min(run_at) AS since,"
    "  min(CASE WHEN state = 'pending' THEN run_at END) AS oldest, min(class) AS cls FROM jobs"
    "  WHERE class < 4 AND (state = 'leased' OR (state = 'pending' AND run_at <= :now))"
    "  GROUP BY connection"
    f"  HAVING count(*) >= {BACKLOG_JOBS} OR"
    f"  min(CASE WHEN state = 'pending' THEN run_at END) <= :now - {BACKLOG_AGE}) AS b"
)

Fetch = Callable[[str, Any], Awaitable[Sequence[Any]]]


def _pace(systems: tuple[str, str] | None, budgets: Mapping[str, BudgetStats], cls: int) -> float:
    paces = [
        p
        for s in systems or ()
        if s in budgets and (p := progress.class_pace(budgets[s], cls)) is not None
    ]
    return min(paces) if paces else 0.0


def first_pass(row: Any, now: float, pace: float) -> Progress:
    """A first change pass's progress (a row of :data:`FIRST_PASS_SQL`)."""
    started = float(row["pass_started"] or row["updated_at"] or now)
    items = int(row["pass_items"] or 0)
    rate = items / max(now - started, 1e-9) * 60.0
    return Progress(
        connection=str(row["connection"]),
        kind="first_pass",
        run=0,
        flows=(str(row["flow"]),),
        started_at=started,
        items_done=items,
        pages_done=int(row["pass_pages"] or 0),
        items_total=None,
        total_from=None,
        rate_per_minute=round(rate, 3),
        budget_calls_per_minute=round(pace, 3) if pace else None,
        eta_seconds=None,
    )


def backlog(row: Any, done: int, now: float, pace: float) -> Progress:
    """A backlog's progress (a row of :data:`BACKLOG_SQL` and the jobs done since it began)."""
    left = int(row["left_jobs"])
    since = float(row["since"])
    rate = done / max(now - since, 1e-9) * 60.0
    etas = [left / rate * 60.0] if rate > 0 else []
    if pace > 0:
        etas.append(left * CALLS_PER_JOB / pace * 60.0)
    eta = max(etas) if etas else None
    return Progress(
        connection=str(row["connection"]),
        kind="backlog",
        run=0,
        flows=(),
        started_at=since,
        items_done=done,
        pages_done=done,
        items_total=done + left,
        total_from="jobs done since the oldest became due, and jobs left",
        rate_per_minute=round(rate, 3),
        budget_calls_per_minute=round(pace, 3) if pace else None,
        eta_seconds=None if eta is None else round(eta, 1),
        unit="jobs",
    )


async def collect(
    fetch: Fetch,
    now: float,
    page_sizes: Mapping[str, int],
    systems: Mapping[str, tuple[str, str]],
    budgets: Mapping[str, BudgetStats],
    *,
    full: bool = True,
) -> dict[str, list[Progress]]:
    """Every connection's long work (full sync, first passes, backlog), by connection;
    ``fetch`` runs a read-only query; ``full``: look for running full syncs too."""
    out: dict[str, list[Progress]] = {}
    if full:
        found = progress.running(
            await fetch(progress.RUNNING_SQL, ()), now, page_sizes, systems, budgets
        )
        for name, p in found.items():
            out.setdefault(name, []).append(p)
    for row in await fetch(FIRST_PASS_SQL, ()):
        name = row["connection"]
        if name in systems:
            pace = _pace(systems[name], budgets, RECENT_CLASS)
            out.setdefault(name, []).append(first_pass(row, now, pace))
    for row in await fetch(BACKLOG_SQL, {"now": now}):
        name = row["connection"]
        if name in systems:
            pace = _pace(systems[name], budgets, int(row["cls"]))
            out.setdefault(name, []).append(backlog(row, int(row["done"]), now, pace))
    return out


def collect_now(
    conn: sqlite3.Connection,
    now: float,
    page_sizes: Mapping[str, int],
    systems: Mapping[str, tuple[str, str]],
    budgets: Mapping[str, BudgetStats],
) -> dict[str, list[Progress]]:
    """:func:`collect` on a plain connection, in the caller's thread (the metrics thread has
    no event loop): its queries never suspend, so the coroutine finishes on its first step."""
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row

    async def fetch(sql: str, params: Any) -> Sequence[Any]:
        return cursor.execute(sql, params).fetchall()

    step = collect(fetch, now, page_sizes, systems, budgets)
    try:
        step.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    step.close()
    raise RuntimeError("collect suspended on a plain connection")


def stage_pass_progress(
    conn: sqlite3.Connection, connection: str, flow: str, cur: Any, now: float
) -> None:
    """Announce a first change pass's progress (``pass.progress``) once its page commits."""
    hub = hub_of(conn)
    if hub is None:
        return
    row = {
        "connection": connection,
        "flow": flow,
        "pass_started": cur.pass_started,
        "pass_pages": cur.pass_pages,
        "pass_items": cur.pass_items,
        "updated_at": now,
    }
    detail = progress.describe(first_pass(row, now, 0.0).as_dict())
    hub.stage(Event("pass.progress", now, connection=connection, flow=flow, detail=detail))


class BacklogWatcher:
    """Publishes ``backlog.progress`` for each connection with a backlog every
    :data:`ANNOUNCE_EVERY` seconds, while anyone listens."""

    def __init__(
        self,
        hub: EventHub,
        fetch: Fetch,
        clock: Clock,
        systems: Callable[[], Mapping[str, tuple[str, str]]],
        budgets: Callable[[], Mapping[str, BudgetStats]],
    ) -> None:
        self.hub = hub
        self.fetch = fetch
        self.clock = clock
        self.systems = systems
        self.budgets = budgets
        #: When each connection's backlog was last announced.
        self._told: dict[str, float] = {}

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await anyio.sleep(LOOK_EVERY)
            if not self.hub.active:
                continue
            try:
                await self.announce()
            except Exception:  # progress is a convenience; never stop the daemon for it
                log.exception("backlog.progress_failed")

    async def announce(self) -> int:
        """Publish an event for each backlog not announced in the last
        :data:`ANNOUNCE_EVERY` seconds; how many were published."""
        now = self.clock.now()
        found = await collect(self.fetch, now, {}, self.systems(), self.budgets(), full=False)
        sent = 0
        for name, works in sorted(found.items()):
            for p in works:
                recent = now - self._told.get(name, -ANNOUNCE_EVERY) < ANNOUNCE_EVERY
                if p.kind != "backlog" or recent:
                    continue
                self._told[name] = now
                detail = progress.describe(p.as_dict())
                self.hub.publish(Event("backlog.progress", now, connection=name, detail=detail))
                sent += 1
        ended = [n for n in self._told if not any(w.kind == "backlog" for w in found.get(n, []))]
        for name in ended:  # a backlog that comes back later is announced at once
            del self._told[name]
        return sent
