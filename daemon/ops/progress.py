"""Progress of long work: a full sync's items and pages done, the total where one is known, the
current rate, and the time left at the pace the budgets allow.

The sources this daemon speaks to do not say how many items a listing holds, so the total of a
run is the item count of the connection's last finished full sync (``total_from`` says so), and
None on a first run. The time left is the larger of two estimates: at the run's own rate so far,
and at the pace the budgets allow class 4 (full) work: every window's limit less its class-4
reserve, on the tightest window of both systems, at ``CALLS_PER_PAGE`` calls per page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from syncwright.daemon.budget.budget import BudgetStats
from syncwright.daemon.budget.windows import window_seconds

FULL_CLASS = 4
#: A full slice reads a page of the source's listing and compares it with the channel's copies:
#: at least two calls (more where products must be written).
CALLS_PER_PAGE = 2

RUNNING_SQL = (
    "SELECT r.connection, r.run_id, r.flows, r.started_at, r.slices_done, r.items,"
    " (SELECT d.items FROM full_runs d WHERE d.connection = r.connection AND d.state = 'done'"
    "  ORDER BY d.finished_at DESC LIMIT 1) AS last_total"
    " FROM full_runs r WHERE r.state = 'running'"
)


@dataclass(frozen=True, slots=True)
class Progress:
    connection: str
    kind: str  # "full"
    run: int
    flows: tuple[str, ...]
    started_at: float
    items_done: int
    pages_done: int
    #: Items the run will list in all (None: not known yet), and where that number comes from.
    items_total: int | None
    total_from: str | None
    #: Items per minute since the run started.
    rate_per_minute: float
    #: Calls per minute the budgets allow class 4 on the tighter of the two systems (None: no
    #: limit known).
    budget_calls_per_minute: float | None
    #: Seconds left at the slower of the run's rate and the budgets' pace (None: no total).
    eta_seconds: float | None
    #: What ``items_done`` counts: "items" (a full sync, a change pass) or "jobs" (a backlog).
    unit: str = "items"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "flows": list(self.flows)}


def class_pace(stats: BudgetStats, cls: int = FULL_CLASS) -> float | None:
    """Calls per minute ``cls`` may spend on this budget in the long run: the tightest window's
    limit less the class's reserve (None: the budget has no windows)."""
    paces = [
        w.limit * (1.0 - w.reserve.get(cls, 0.0)) * 60.0 / window_seconds(w.name)
        for w in stats.windows
    ]
    return min(paces) if paces else None


def from_row(row: Any, now: float, page_size: int, paces: Iterable[float | None]) -> Progress:
    """The progress of one running full sync (a row of :data:`RUNNING_SQL`)."""
    done, pages = int(row["items"]), int(row["slices_done"])
    elapsed = max(now - float(row["started_at"]), 1e-9)
    rate = done / elapsed * 60.0
    known = [p for p in paces if p is not None]
    pace = min(known) if known else None
    total = row["last_total"]
    total = max(int(total), done) if total else None
    eta: float | None = None
    if total is not None:
        left = total - done
        etas = [left / rate * 60.0] if rate > 0 else []
        if pace is not None and pace > 0:
            etas.append(math.ceil(left / max(page_size, 1)) * CALLS_PER_PAGE / pace * 60.0)
        eta = max(etas) if etas else None
    return Progress(
        connection=str(row["connection"]),
        kind="full",
        run=int(row["run_id"]),
        flows=tuple(json.loads(row["flows"])),
        started_at=float(row["started_at"]),
        items_done=done,
        pages_done=pages,
        items_total=total,
        total_from="last full sync" if total is not None else None,
        rate_per_minute=round(rate, 3),
        budget_calls_per_minute=None if pace is None else round(pace, 3),
        eta_seconds=None if eta is None else round(eta, 1),
    )


def running(
    rows: Iterable[Any],
    now: float,
    page_sizes: Mapping[str, int],
    systems: Mapping[str, tuple[str, str]],
    budgets: Mapping[str, BudgetStats],
) -> dict[str, Progress]:
    """Every connection's running full sync, by connection, from the rows of
    :data:`RUNNING_SQL`; ``systems`` maps a connection to its (source, channel)."""
    out: dict[str, Progress] = {}
    for row in rows:
        name = row["connection"]
        if name not in systems:
            continue
        paces = [class_pace(budgets[s]) for s in systems[name] if s in budgets]
        out[name] = from_row(row, now, page_sizes.get(name, 500), paces)
    return out


def describe(p: Mapping[str, Any]) -> str:
    """One line for an operator, e.g. "full sync 3: 1200 of ~5000 items (24%), 300/min, about
    12m left (the budgets allow 60 calls/min)"; a first change pass and a backlog likewise
    (daemon/ops/work.py)."""
    from syncwright.daemon.durations import format_duration

    kind = p.get("kind", "full")
    if kind != "full":
        return _describe_other(p)
    done, total = p["items_done"], p["items_total"]
    text = f"full sync {p['run']}: {done} items in {p['pages_done']} pages"
    if total:
        text = f"full sync {p['run']}: {done} of ~{total} items ({100 * done // total}%)"
    text += f", {p['rate_per_minute']:.0f}/min"
    if p["eta_seconds"] is not None:
        text += f", about {format_duration(max(1, round(p['eta_seconds'])))} left"
    else:
        text += ", total not known yet"
    if p["budget_calls_per_minute"] is not None:
        text += f" (the budgets allow {p['budget_calls_per_minute']:g} calls/min)"
    return text


def _describe_other(p: Mapping[str, Any]) -> str:
    """E.g. "first change pass of products: 1200 items in 12 pages, 300/min, total not known
    (the source does not say)" or "backlog: 120 of 460 jobs done, 340 left, 30/min, about 11m
    left (the budgets allow 60 calls/min)"."""
    from syncwright.daemon.durations import format_duration

    done, total = p["items_done"], p["items_total"]
    if p["kind"] == "first_pass":
        flows = ", ".join(p["flows"])
        text = f"first change pass of {flows}: {done} items in {p['pages_done']} pages"
    else:
        text = f"backlog: {done} of {total} jobs done, {(total or done) - done} left"
    text += f", {p['rate_per_minute']:.0f}/min"
    if p["eta_seconds"] is not None:
        text += f", about {format_duration(max(1, round(p['eta_seconds'])))} left"
    elif total is None:
        text += ", total not known (the source does not say)"
    if p["budget_calls_per_minute"] is not None:
        text += f" (the budgets allow {p['budget_calls_per_minute']:g} calls/min)"
    return text
