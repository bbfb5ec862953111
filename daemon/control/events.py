"""Events that only show between two consecutive snapshots: a budget's block running out
(nothing happens in the daemon at that moment) and a connection's state changing (starting,
backing off, stopped, ...). Everything that happens at a known moment (jobs, sync-log errors,
blocks, pauses) comes from the event hub instead (daemon/events_bus.py, control/feed.py)."""

from __future__ import annotations

from syncwright.daemon.control.protocol import EventMessage, Snapshot


def diff(before: Snapshot, after: Snapshot) -> list[EventMessage]:
    at = after.at
    events: list[EventMessage] = []
    old = {c.name: c for c in before.connections}
    for conn in after.connections:
        prev = old.get(conn.name)
        if prev is not None and conn.state != prev.state:
            events.append(
                EventMessage(
                    event="connection.state", at=at, connection=conn.name, detail=conn.state
                )
            )
    blocked = {b.system for b in before.budgets if b.blocked_until is not None}
    for budget in after.budgets:
        if budget.system in blocked and budget.blocked_until is None:
            events.append(EventMessage(event="budget.unblocked", at=at, system=budget.system))
    return events
