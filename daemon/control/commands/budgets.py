"""``budgets`` - each system's call budget: every window's used / limit, reserves, the block
and its reason, the last quota headers the server sent, and when the windows run out at the
current burn rate (the planner's answer: one projection for the table, the plan and the TUI);
and the budget planner's report (daemon/ops/planner.py): calls in the last hour
and day, each window's pace and when it runs out, what the schedules cost per day, warnings.

args: ``system`` (str, optional: one system). result: ``{"budgets": [BudgetDetail], "plan":
PlanReport.to_json()}`` (the plan always covers every system).
errors: 2002 no such system.
"""

from __future__ import annotations

from pydantic import Field

from syncwright.daemon.budget.budget import CLASS_NAMES
from syncwright.daemon.control.commands.base import Args as BaseArgs
from syncwright.daemon.control.commands.base import Call, Result
from syncwright.daemon.control.protocol import BudgetDetail, ControlError, ErrorCode, WindowDetail
from syncwright.daemon.ops.planner_history import live_report


class Args(BaseArgs):
    system: str | None = Field(default=None, max_length=64)


async def run(call: Call, args: Args) -> Result:
    ctx = call.ctx
    budgets = ctx.services.budgets
    if args.system is not None and args.system not in budgets:
        raise ControlError(ErrorCode.NOT_FOUND, f"no system named {args.system!r}")
    users: dict[str, list[str]] = {}
    for name, conn in ctx.config.connections.items():
        for system in (conn.source, conn.channel):
            users.setdefault(system, []).append(name)
    plan = await live_report(ctx.config, budgets, ctx.services.store, ctx.services.clock)
    runs_out_at = {(s.system, w.name): w.runs_out_at for s in plan.systems for w in s.windows}
    rows = []
    for system, budget in sorted(budgets.items()):
        if args.system is not None and system != args.system:
            continue
        stats = budget.statistics()
        rows.append(
            BudgetDetail(
                system=system,
                blocked_until=stats.blocked_until,
                block_reason=stats.block_reason,
                last_headers=stats.last_headers,
                allowed_classes=sorted(stats.allowed_classes),
                connections=users.get(system, []),
                windows=[
                    WindowDetail(
                        name=w.name,
                        used=w.used,
                        limit=w.limit,
                        resets_at=w.resets_at,
                        mode=w.mode,
                        timezone=w.timezone,
                        remaining=w.remaining,
                        reserve={CLASS_NAMES[c]: share for c, share in sorted(w.reserve.items())},
                        runs_out_at=runs_out_at.get((system, w.name)),
                    )
                    for w in stats.windows
                ],
            ).model_dump()
        )
    return {"budgets": rows, "plan": plan.to_json()}
