"""A dry-run plan of one connection (the daemon's ``plan`` command): what a sync would write
now, and the calls it would cost. Asked once when the screen opens (a plan spends calls), and
again on ``R``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from syncwright.tui.client import CommandError, LinkError

if TYPE_CHECKING:
    from syncwright.tui.app import SyncwrightApp

#: Lines per list shown (the counts are always complete).
SHOWN = 50


class PlanScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("R", "reload", "Plan again"),
    ]

    def __init__(self, connection: str) -> None:
        super().__init__(id="plan")
        self.connection = connection

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Plan for {self.connection} (dry run: nothing is written)", classes="title")
        yield Static("", id="problem")
        with VerticalScroll():
            yield Static("Reading what a sync would read…", id="plan-body", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.run_worker(self._load(), group="plan", exclusive=True)

    async def _load(self) -> None:
        sw: SyncwrightApp = self.app  # type: ignore[assignment]
        try:
            result = await sw.request("plan", connection=self.connection)
        except (LinkError, CommandError) as exc:
            self.query_one("#problem", Static).update(f"⚠ {exc}")
            return
        self.query_one("#problem", Static).update("")
        self.query_one("#plan-body", Static).update(plan_text(result))


def plan_text(result: dict[str, Any]) -> str:
    out: list[str] = []
    for f in result["flows"]:
        state = "" if f["complete"] else f" (stopped after {f['pages']} pages)"
        out.append(f"{f['flow']}: {f['items_read']} read in {f['pages']} pages{state}")
        lines = _lines(f)
        out += [f"  {line}" for line in lines] or ["  nothing to write"]
    reads = ", ".join(f"{k} {v:g}" for k, v in result["calls_read"].items()) or "none"
    writes = ", ".join(f"{k} {v}" for k, v in result["calls_write"].items())
    out.append(f"Calls this plan's reads cost: {reads}")
    out.append(f"Calls the sync would make to write: {writes}")
    return "\n".join(out)


def _lines(f: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    shown: dict[str, Callable[[Any], str]] = {
        "creates": lambda c: f"create {c['item']} {c['title']!r}",
        "updates": lambda u: f"update {u['item']}: {', '.join(u['fields']) or 'content only'}",
        "discontinues": lambda d: f"discontinue {d}",
        "stock": lambda s: (
            f"stock {s['sku']} at {s['location']}: "
            f"{'never pushed' if s['from'] is None else s['from']} -> {s['to']}"
        ),
        "customers_created": lambda c: f"create customer {c}",
        "customers_linked": lambda c: f"link customer {c['item']} to {c['channel_id']}",
        "orders_post": lambda o: f"post order {o}",
        "orders_amend": lambda o: f"amend order {o}",
        "errors": lambda e: f"error {e['item']}: {e['error']}",
    }
    for name, line in shown.items():
        lines += [line(entry) for entry in f[name][:SHOWN]]
        left = f[name + "_count"] - min(len(f[name]), SHOWN)
        if left > 0:
            lines.append(f"… and {left} more ({name.replace('_', ' ')})")
    if f["parked"]:
        lines.append(f"{f['parked']} stock levels wait for their product to reach the channel")
    return lines
