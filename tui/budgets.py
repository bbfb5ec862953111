"""Every system's budget: each window's used / limit, reserves, the block, the last quota
headers, when the window runs out at the current burn rate, and the budget plan: burn rate over
the last hour and day and what the schedules cost per day, with the planner's warnings."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from syncwright.daemon.control.protocol import BudgetDetail
from syncwright.tui.format import bar, clock
from syncwright.tui.live import LiveScreen


class BudgetsScreen(LiveScreen):
    def __init__(self) -> None:
        super().__init__(id="budgets")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Budgets", classes="title")
        yield Static("", id="problem")
        yield DataTable(id="budget-table", cursor_type="row")
        yield Static("", id="headers")
        yield Static("", id="plan")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#budget-table", DataTable).add_columns(
            "System", "Window", "Used", "Limit", "", "Reserve", "Resets", "Runs out", "Blocked"
        )
        super().on_mount()

    def request(self) -> tuple[str, dict[str, Any]]:
        return "budgets", {}

    def show(self, result: dict[str, Any]) -> None:
        budgets = [BudgetDetail.model_validate(b) for b in result["budgets"]]
        table = self.query_one("#budget-table", DataTable)
        table.clear()
        headers = []
        for b in budgets:
            blocked = (
                Text(f"until {clock(b.blocked_until)}: {b.block_reason}", style="bold white on red")
                if b.blocked_until is not None
                else Text("-")
            )
            for w in b.windows:
                reserve = " ".join(f"{k[:1]}{v:.0%}" for k, v in w.reserve.items() if v)
                table.add_row(
                    b.system,
                    f"{w.name} ({w.mode})",
                    f"{w.used:g}",
                    f"{w.limit:g}",
                    bar(w.used, w.limit, 12),
                    reserve or "-",
                    clock(w.resets_at),
                    Text(clock(w.runs_out_at), style="bold red") if w.runs_out_at else "-",
                    blocked,
                )
            if b.last_headers:
                shown = ", ".join(f"{k}: {v}" for k, v in sorted(b.last_headers.items()))
                headers.append(f"{b.system} last quota headers: {shown}")
        self.query_one("#headers", Static).update("\n".join(headers))
        self.query_one("#plan", Static).update(plan_text(result.get("plan")))


def plan_text(plan: dict[str, Any] | None) -> Text:
    """The planner's report (daemon/ops/planner.py, as JSON): one line per system, then warnings."""
    text = Text()
    if not plan:
        return text
    for s in plan["systems"]:
        cap = s["capacity_per_day"]
        capacity = "no limit" if cap is None else f"{cap:,.0f}/day"
        text.append(
            f"{s['system']}: {s['calls_last_hour']:,.0f} calls in the last hour, "
            f"{s['calls_last_day']:,.0f} in the last day ({s['rate_limited_last_day']} x 429); "
            f"schedules cost {s['scheduled_per_day']:,.0f} calls/day of {capacity}\n"
        )
        for warning in s["warnings"]:
            text.append(f"  WARNING {warning}\n", style="bold red")
    if plan.get("fits", True):
        text.append("The schedules fit in the budgets.")
    else:
        text.append("The schedules or the pace do not fit: see the warnings.", style="bold red")
    return text
