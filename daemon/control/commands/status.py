"""``status`` - the daemon's snapshot now.

args: none. result: a Snapshot (protocol.Snapshot): ``at``, ``daemon`` (version), ``pid``,
``started_at``, ``connections`` (one ConnectionRow each: state, jobs per view and class,
oldest ready age, last full / partial sync, open errors, ghost rotation) and ``budgets`` (one
BudgetRow per system: blocked until, windows used / limit / reset time); and
``reload_rejected_at`` / ``reload_rejected``: when the last config reload was refused and why
(null once a reload succeeds); ``plan_warnings``: each way the schedules cannot be served
by the budgets (the planner's, at start-up or the last reload).
"""

from __future__ import annotations

from syncwright.daemon.control.commands.base import Call, NoArgs, Result
from syncwright.daemon.control.snapshot import SnapshotBuilder

Args = NoArgs


async def run(call: Call, args: NoArgs) -> Result:
    builder = SnapshotBuilder(call.ctx)
    try:
        return (await builder.build()).model_dump()
    finally:
        builder.close()
