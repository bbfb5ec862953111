"""One item's sync health (the control command ``item``, as ``syncwright item`` prints it): its
ids on both sides, when it was last seen at the source with its change token, what was last
written (hash, time) and verified, the stock last pushed per location, its open errors and the
last jobs that touched it, with ``s`` to sync it now. Reached with ``i`` from a connection
screen (asks for the id or SKU) and from an error's detail."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from syncwright.daemon.control.protocol import CLASS_NAMES
from syncwright.tui.format import stamp
from syncwright.tui.live import LiveScreen

#: Job states shown in red: the job did not do what it was for.
_FAILED = ("dead", "retry")


def health_text(h: dict[str, Any]) -> Table:
    """The item's ids, last seen, last written and verified, as a two-column grid."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(overflow="fold")
    product = h.get("product")
    if product is None:
        grid.add_row("Ids", f"{h['query']}: not linked to a channel product yet")
    else:
        grid.add_row("Back office", str(product["source_id"]))
        grid.add_row("Channel", str(product["channel_id"]))
    variants = h.get("variants") or []
    if variants:
        grid.add_row("Variants", ", ".join(f"{v['sku']} -> {v['channel_id']}" for v in variants))
    state = h.get("state")
    if state is None:
        grid.add_row("Last written", "never")
    else:
        if state.get("seen_at") is not None:
            seen = f"{stamp(state['seen_at'])} (change token {state.get('seen_token') or '-'})"
        else:  # a daemon from before it recorded the reads
            seen = "not recorded yet"
        grid.add_row("Last seen at source", seen)
        grid.add_row(
            "Last written",
            f"{stamp(state['written_at'])} (hash {(state['hash'] or '-')[:12]},"
            f" change token {state['token'] or '-'})",
        )
        grid.add_row("Last verified", stamp(state["last_verified_at"]))
        if state.get("last_error"):
            grid.add_row("Last refusal", Text(state["last_error"], style="red"))
    errors = h.get("errors") or []
    if not errors:
        grid.add_row("Open errors", Text("none", style="green"))
    for e in errors:
        what = f"{e['flow']} {e['external_id']}, since {stamp(e['first_seen'])}: "
        grid.add_row("Open error", Text(what) + Text(e["message"], style="red"))
    return grid


class ItemScreen(LiveScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("s", "sync", "Sync this item")]

    def __init__(self, connection: str, item: str) -> None:
        super().__init__(id="item")
        self.connection = connection
        self.item = item
        #: The product's back-office id once known (what a sync of it names).
        self.source_id: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Item {self.item} of {self.connection}", classes="title")
        yield Static("", id="problem")
        with VerticalScroll():
            yield Static("looking up…", id="health")
            yield Static("Stock last pushed", classes="section")
            yield DataTable(id="stock", cursor_type="none")
            yield Static("Last jobs that named it", classes="section")
            yield DataTable(id="item-jobs", cursor_type="none")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#stock", DataTable).add_columns(
            "SKU", "Location", "Pushed", "At", "Pending"
        )
        self.query_one("#item-jobs", DataTable).add_columns(
            "Job", "Kind", "Class", "Outcome", "Queued", "Finished", "Attempts", "Error"
        )
        super().on_mount()

    def request(self) -> tuple[str, dict[str, Any]]:
        return "item", {"connection": self.connection, "id": self.item}

    def show(self, result: dict[str, Any]) -> None:
        health = self.query_one("#health", Static)
        if not result.get("found"):
            health.update(
                Text(
                    f"{self.connection} knows nothing of {self.item!r} yet (no link, stock, "
                    "error or job names it): s fetches it from the source"
                )
            )
        else:
            health.update(health_text(result))
        product = result.get("product")
        self.source_id = str(product["source_id"]) if product else None
        stock = self.query_one("#stock", DataTable)
        stock.clear()
        for s in result.get("stock") or []:
            stock.add_row(
                s["sku"],
                s["location"],
                "never" if s["quantity"] is None else str(s["quantity"]),
                stamp(s["pushed_at"]),
                "-" if s["pending"] is None else str(s["pending"]),
            )
        jobs = self.query_one("#item-jobs", DataTable)
        jobs.clear()
        for j in result.get("jobs") or []:
            cls = j.get("cls")
            jobs.add_row(
                str(j["id"]),
                j["kind"],
                CLASS_NAMES[cls] if isinstance(cls, int) and 0 <= cls < len(CLASS_NAMES) else "-",
                Text(j["state"], style="red" if j["state"] in _FAILED else ""),
                stamp(j["enqueued_at"]),
                stamp(j["finished_at"]),
                str(j["attempts"]),
                Text((j["last_error"] or "")[:100], style="red"),
            )

    def action_sync(self) -> None:
        from syncwright.tui.app import SYNC_WAIT

        target = self.source_id or self.item
        self.notify(f"syncing products {target!r} of {self.connection}…")
        self.sw.send(
            "sync_item", connection=self.connection, flow="products", id=target, wait=SYNC_WAIT
        )


class AskItemModal(ModalScreen[str | None]):
    """Asks for a product's id (either side) or a SKU; dismisses with it (None: cancelled)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=True)]
    DEFAULT_CSS = """
    AskItemModal { align: center middle; }
    AskItemModal > Vertical { width: 64; height: auto; border: thick $accent; padding: 1 2; }
    """

    def __init__(self, connection: str) -> None:
        super().__init__()
        self.connection = connection

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Sync health of one item of {self.connection}")
            yield Input(placeholder="back-office or channel id, or a SKU", id="item")
            yield Static("enter: show   escape: cancel", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value:
            self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
