"""The budget planner: per system, how fast each quota window is being spent, when it would run
out at that pace, and what the configured schedules cost per day, with warnings when they
cannot fit.

:func:`plan` is pure: it takes the config, the spend history (calls per minute per system,
from daemon/ops/planner_history.py), the current window usage if known, the number of linked items
per connection, and ``now``; it returns a frozen :class:`PlanReport` whose :meth:`to_json` is
what the control socket's ``budget`` command and the TUI show.

Schedule costs are estimates of the calls the timers start by themselves, counted on the system
each call goes to: a recent-change round makes at least one listing call per pulled flow (orders
on the channel, the others on the source; prices travel with products) plus one for settings; a
ghost sweep reads each item of its batch and the batch's stock from the source and two batched
reads from the channel; a full sync reads every page of each flow from both sides; a deletion
check reads every page of the source's product ids (or of its full listing). Writes
depend on how much changes and are not scheduled, so they show up in the burn rate only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from syncwright.connectors.registry import kind
from syncwright.daemon.budget.windows import window_seconds
from syncwright.daemon.clock import iso
from syncwright.daemon.config.model import Config
from syncwright.daemon.config.types import CLASS_NAMES
from syncwright.daemon.flows import deletions

DAY = 86400.0
HOUR = 3600.0
#: Flows whose changes are pulled every ``schedule.recent`` and the side they are read from.
PULLED = {"products": "source", "stock": "source", "customers": "source", "orders": "channel"}
FULL_FLOWS = ("products", "stock", "customers")


@dataclass(frozen=True, slots=True)
class ScheduleCost:
    connection: str
    system: str
    kind: str  # "pull" | "ghost" | "full" | "settings"
    priority: str  # the class the jobs run in
    calls_per_day: float


@dataclass(frozen=True, slots=True)
class WindowPlan:
    name: str
    mode: str
    limit: float
    #: Calls counted in the window now (None: unknown offline).
    used: float | None
    #: Calls per window at the pace of the last hour and of the last day.
    pace_hour: float
    pace_day: float
    #: When the window runs out at the last hour's pace (None: it does not).
    exhausted_at: str | None
    #: Scheduled calls per window (the daily schedule cost spread evenly).
    scheduled: float
    #: ``exhausted_at`` as epoch seconds: the one "runs out" answer the budget table, this
    #: plan and the TUI all show (:func:`runs_out`).
    runs_out_at: float | None = None


@dataclass(frozen=True, slots=True)
class SystemPlan:
    system: str
    calls_last_hour: float
    calls_last_day: float
    rate_limited_last_day: int
    #: Calls per day the tightest window allows, and what the schedules cost per day.
    capacity_per_day: float
    scheduled_per_day: float
    windows: tuple[WindowPlan, ...]
    costs: tuple[ScheduleCost, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlanReport:
    taken_at: str
    systems: tuple[SystemPlan, ...]

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(w for s in self.systems for w in s.warnings)

    @property
    def fits(self) -> bool:
        return not self.warnings

    def to_json(self) -> dict[str, object]:
        """Plain JSON: an unlimited capacity (infinity) becomes null."""
        data = asdict(self)
        for system in data["systems"]:
            if math.isinf(system["capacity_per_day"]):
                system["capacity_per_day"] = None
        return {"taken_at": self.taken_at, "fits": self.fits, **data}


@dataclass(frozen=True, slots=True)
class Sample:
    """Calls spent by one system in the minute starting at ``minute`` x 60 (epoch seconds)."""

    system: str
    minute: int
    calls: float
    rate_limited: int = 0


def schedule_costs(config: Config, items: Mapping[str, int]) -> list[ScheduleCost]:
    """Calls per day each connection's timers cost, per system (see the module docstring)."""
    costs: list[ScheduleCost] = []
    for name, conn in config.connections.items():
        side = {"source": conn.source, "channel": conn.channel}
        sched = conn.schedule
        rounds = DAY / sched.recent
        per_system: dict[str, float] = {}
        for flow in conn.flows:
            if flow in PULLED:
                system = side[PULLED[flow]]
                per_system[system] = per_system.get(system, 0.0) + rounds
        for system, calls in per_system.items():
            costs.append(ScheduleCost(name, system, "pull", "recent", calls))
        if "settings" in conn.flows:
            costs.append(ScheduleCost(name, conn.source, "settings", "recent", rounds))
        if "products" in conn.flows:
            sweeps = DAY / sched.ghost_interval
            costs.append(
                ScheduleCost(name, conn.source, "ghost", "ghost", sweeps * (sched.ghost_batch + 1))
            )
            costs.append(ScheduleCost(name, conn.channel, "ghost", "ghost", sweeps * 2))
            lists_ids = kind(config.systems[conn.source].kind).product_ids
            every = deletions.interval(lists_ids, sched.deletions, sched.full)
            if every is not None and conn.pull_mode != "audit":
                per_page = deletions.ID_PAGE if lists_ids else conn.page_size
                pages = max(1, math.ceil(items.get(name, 0) / per_page))
                costs.append(
                    ScheduleCost(name, conn.source, "deletions", "ghost", pages * DAY / every)
                )
        if sched.full is not None:
            pages = max(1, math.ceil(items.get(name, 0) / conn.page_size))
            flows = sum(1 for f in conn.flows if f in FULL_FLOWS)
            per_run = pages * flows
            if per_run:
                for system in (conn.source, conn.channel):
                    costs.append(
                        ScheduleCost(name, system, "full", "full", per_run * DAY / sched.full)
                    )
    return costs


def plan(
    config: Config,
    samples: Sequence[Sample],
    now: float,
    *,
    items: Mapping[str, int] | None = None,
    used: Mapping[str, Mapping[str, float]] | None = None,
    resets: Mapping[str, Mapping[str, float | None]] | None = None,
) -> PlanReport:
    """The planner's report at ``now``. ``used``/``resets``: per system and window, the calls
    counted now and when the window resets (from Budget.statistics(); absent offline)."""
    costs = schedule_costs(config, items or {})
    systems: list[SystemPlan] = []
    for name, system in config.systems.items():
        mine = [s for s in samples if s.system == name]
        last_hour = sum(s.calls for s in mine if s.minute * 60 >= now - HOUR)
        last_day = sum(s.calls for s in mine if s.minute * 60 >= now - DAY)
        limited = sum(s.rate_limited for s in mine if s.minute * 60 >= now - DAY)
        rate_hour = last_hour / ran_seconds(samples, now, HOUR)
        rate_day = last_day / ran_seconds(samples, now, DAY)
        my_costs = tuple(c for c in costs if c.system == name)
        per_day = sum(c.calls_per_day for c in my_costs)
        reserve = system.budget.reserve
        windows: list[WindowPlan] = []
        warnings: list[str] = []
        capacity = math.inf
        for wname, window in system.budget.windows.items():
            length = window_seconds(wname)
            capacity = min(capacity, window.limit * DAY / length)
            now_used = (used or {}).get(name, {}).get(wname)
            reset = (resets or {}).get(name, {}).get(wname)
            exhausted = runs_out(window.limit, length, now_used, rate_hour, now, reset)
            scheduled = per_day * length / DAY
            windows.append(
                WindowPlan(
                    wname,
                    window.mode,
                    float(window.limit),
                    now_used,
                    rate_hour * length,
                    rate_day * length,
                    iso(exhausted) if exhausted is not None else None,
                    scheduled,
                    exhausted,
                )
            )
            for cls in ("recent", "ghost", "full"):
                share = sum(c.calls_per_day for c in my_costs if c.priority == cls)
                room = window.limit * (1.0 - reserve.for_class(cls))
                if share * length / DAY > room:
                    warnings.append(
                        f"{name}: the {cls} schedules need {share * length / DAY:.0f} calls per "
                        f"{wname}, but the {wname} window lets {cls} work spend only "
                        f"{room:.0f} (limit {window.limit} minus the {cls} reserve); lengthen "
                        f"the intervals or raise the limit"
                    )
            if scheduled > window.limit * (1.0 - min(reserve.for_class(c) for c in CLASS_NAMES)):
                warnings.append(
                    f"{name}: the schedules alone need {scheduled:.0f} calls per {wname}, more "
                    f"than its limit of {window.limit} allows"
                )
            if now_used is not None and length >= DAY and now_used >= 0.9 * window.limit:
                # Billing quotas (Unleashed's month) warn at 90 %: say so before they block.
                when = f"; it resets at {iso(reset)}" if reset is not None else ""
                warnings.append(
                    f"{name}: the {wname} window is at {100 * now_used / window.limit:.0f} % of "
                    f"its limit of {window.limit}{when}"
                )
            if exhausted is not None and rate_hour > 0:
                warnings.append(
                    f"{name}: at the last hour's pace ({rate_hour * HOUR:.0f} calls/h) the "
                    f"{wname} window runs out at {iso(exhausted)}"
                )
        systems.append(
            SystemPlan(
                name,
                last_hour,
                last_day,
                limited,
                capacity,
                per_day,
                tuple(windows),
                my_costs,
                tuple(dict.fromkeys(warnings)),
            )
        )
    return PlanReport(iso(now) or "", tuple(systems))


def ran_seconds(samples: Sequence[Sample], now: float, span: float) -> float:
    """How long the daemon ran in the last ``span`` seconds: the minutes the history marks
    (spend or the recorder's mark), at least one minute, at most ``span``."""
    minutes = {s.minute for s in samples if s.minute * 60 >= now - span}
    return min(span, max(60.0, 60.0 * len(minutes)))


def runs_out(
    limit: float,
    length: float,
    used: float | None,
    rate: float,
    now: float,
    reset: float | None,
) -> float | None:
    """When the window reaches its limit at ``rate`` calls/s, or None if it never does. The
    one projection: the budget table, the plan and the TUI all show what this returns."""
    if rate <= 0:
        return None
    if used is None:  # offline: the window's own usage is unknown; judge the steady state
        return now + limit / rate if rate * length > limit else None
    left = max(0.0, limit - used)
    at = now + left / rate
    if reset is not None and at >= reset:
        return None  # the window resets (calendar) or frees up (rolling) first
    if reset is None and rate * length <= limit:
        return None
    return at


def report_from_json(data: Mapping[str, Any]) -> PlanReport:
    """The report again from :meth:`PlanReport.to_json` (as the control socket sends it)."""
    systems = []
    for s in data["systems"]:
        systems.append(
            SystemPlan(
                **{
                    **s,
                    "capacity_per_day": (
                        math.inf if s["capacity_per_day"] is None else s["capacity_per_day"]
                    ),
                    "windows": tuple(WindowPlan(**w) for w in s["windows"]),
                    "costs": tuple(ScheduleCost(**c) for c in s["costs"]),
                    "warnings": tuple(s["warnings"]),
                }
            )
        )
    return PlanReport(taken_at=str(data["taken_at"]), systems=tuple(systems))


def format_report(report: PlanReport) -> str:
    """The planner as text, for ``syncwright budget`` and ``check-config``."""
    lines = [f"Budget plan at {report.taken_at}"]
    for s in report.systems:
        lines.append(
            f"  {s.system}: {s.calls_last_hour:.0f} calls in the last hour, "
            f"{s.calls_last_day:.0f} in the last day ({s.rate_limited_last_day} answered 429)"
        )
        cap = "no limit" if math.isinf(s.capacity_per_day) else f"{s.capacity_per_day:.0f}"
        lines.append(f"    schedules cost {s.scheduled_per_day:.0f} calls/day of {cap}/day")
        for c in s.costs:
            lines.append(f"      {c.connection} {c.kind} ({c.priority}): {_n(c.calls_per_day)}/day")
        for w in s.windows:
            used = "?" if w.used is None else f"{w.used:.0f}"
            out = w.exhausted_at or "not at this pace"
            lines.append(
                f"    {w.name} ({w.mode}) limit {w.limit:.0f}: used {used}, scheduled "
                f"{w.scheduled:.1f}, pace {w.pace_hour:.1f} (hour) / {w.pace_day:.1f} (day); "
                f"runs out: {out}"
            )
        for warning in s.warnings:
            lines.append(f"    WARNING {warning}")
    lines.append(
        "  Schedules fit in the budgets."
        if report.fits
        else f"  {len(report.warnings)} warning(s): the schedules or the pace do not fit."
    )
    return "\n".join(lines)


def _n(value: float) -> str:
    """A count for people: whole numbers from 10 up, two significant digits below."""
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"
