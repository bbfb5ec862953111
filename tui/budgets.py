"""Every system's budget: each window's used / limit, reserves, the block, the last quota
headers, and when the window runs out at the current burn rate."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from daemon.control.protocol import BudgetDetail
from tui.format import bar, clock
from tui.live import LiveScreen


class BudgetsScreen(LiveScreen):
    def __init__(self) -> None:
        super().__init__(id="budgets")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Budgets", classes="title")
        yield Static("", id="problem")
        yield DataTable(id="budget-table", cursor_type="row")
        yield Static("", id="headers")
        yield Footer()

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
