"""Events for subscribers, derived from two consecutive snapshots (a burst is one event with
a count, so a busy daemon never floods a client)."""

from __future__ import annotations

from daemon.control.protocol import EventMessage, Snapshot


def diff(before: Snapshot, after: Snapshot) -> list[EventMessage]:
    at = after.at
    events: list[EventMessage] = []
    old = {c.name: c for c in before.connections}
    for conn in after.connections:
        prev = old.get(conn.name)
        if prev is None:
            continue
        # A restarted actor starts counting again from zero: no event for that drop.
        for name, delta in (
            ("job.done", conn.jobs_done - prev.jobs_done),
            ("job.failed", conn.jobs_failed - prev.jobs_failed),
        ):
            if delta > 0:
                events.append(EventMessage(event=name, at=at, connection=conn.name, count=delta))
        change = conn.open_errors - prev.open_errors
        if change:
            name = "error.added" if change > 0 else "error.resolved"
            events.append(EventMessage(event=name, at=at, connection=conn.name, count=abs(change)))
        if conn.state != prev.state:
            events.append(
                EventMessage(
                    event="connection.state", at=at, connection=conn.name, detail=conn.state
                )
            )
    budgets = {b.system: b for b in before.budgets}
    for budget in after.budgets:
        prev_budget = budgets.get(budget.system)
        was = prev_budget is not None and prev_budget.blocked_until is not None
        now_blocked = budget.blocked_until is not None
        if now_blocked and not was:
            events.append(
                EventMessage(
                    event="budget.blocked",
                    at=at,
                    system=budget.system,
                    detail=budget.block_reason,
                )
            )
        elif was and not now_blocked:
            events.append(EventMessage(event="budget.unblocked", at=at, system=budget.system))
    return events
