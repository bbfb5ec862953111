"""The overview: one row per connection, updated cell by cell so 1,000 rows stay cheap."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from syncwright.daemon.control.protocol import CLASS_NAMES, ConnectionRow, Snapshot
from syncwright.tui.format import ago, budget_cell, duration, state_cell

COLUMNS = (
    ("name", "Connection"),
    ("state", "State"),
    *((f"c{i}", name.capitalize()) for i, name in enumerate(CLASS_NAMES)),
    ("oldest", "Oldest"),
    ("errors", "Errors"),
    ("dead", "Dead"),
    ("full", "Last full"),
    ("partial", "Last partial"),
    ("budgets", "Budgets (source, channel)"),
)

Cells = tuple[str | Text, ...]


def row_cells(conn: ConnectionRow, snap: Snapshot) -> Cells:
    budgets = {b.system: b for b in snap.budgets}
    queued = [0] * len(CLASS_NAMES)
    for view in ("ready", "scheduled", "retrying", "leased"):
        for i, n in enumerate(conn.jobs.get(view, [])):
            queued[i] += n
    dead = sum(conn.jobs.get("dead", []))
    full = ago(conn.last_full_sync, snap.at) + (" (running)" if conn.full_running else "")
    return (
        conn.name,
        state_cell(conn.state),
        *(str(n) if n else "·" for n in queued),
        duration(conn.oldest_ready_age),
        Text(str(conn.open_errors), style="bold red" if conn.open_errors else "dim"),
        Text(str(dead), style="bold red" if dead else "dim"),
        full,
        ago(conn.last_partial_sync, snap.at),
        budget_cell(budgets.get(conn.source), snap.at)
        + Text("  ")
        + budget_cell(budgets.get(conn.channel), snap.at),
    )


class OverviewScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_connection", "Details", show=True)
    ]

    def __init__(self) -> None:
        super().__init__(id="overview")
        self._cells: dict[str, Cells] = {}
        self._filter = ""
        self._last: Snapshot | None = None
        self._link_status: tuple[str, bool] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static("connecting…", id="link-status")
            yield Input(placeholder="filter connections by name", id="filter")
            table: DataTable[str | Text] = DataTable(id="connections", cursor_type="row")
            for key, label in COLUMNS:
                table.add_column(label, key=key)
            yield table
        yield Footer()

    @property
    def table(self) -> DataTable[str | Text]:
        return self.query_one("#connections", DataTable)

    def selected(self) -> str | None:
        table = self.table
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def show(self, snap: Snapshot) -> None:
        self._last = snap
        try:
            table = self.table
        except NoMatches:  # not composed yet, or being torn down: on_mount shows _last
            return
        wanted = [c for c in snap.connections if self._filter in c.name]
        names = [c.name for c in wanted]
        if list(self._cells) != names:  # rows added, removed or filtered: rebuild
            keep = self.selected()
            table.clear()
            self._cells = {}
            for conn in wanted:
                cells = row_cells(conn, snap)
                table.add_row(*cells, key=conn.name)
                self._cells[conn.name] = cells
            if keep in self._cells:
                table.move_cursor(row=names.index(keep))
            return
        for conn in wanted:  # the usual case: change only the cells that changed
            cells = row_cells(conn, snap)
            old = self._cells[conn.name]
            for (key, _), new, before in zip(COLUMNS, cells, old, strict=True):
                if new != before:
                    table.update_cell(conn.name, key, new)
            self._cells[conn.name] = cells

    def set_link_status(self, text: str, *, down: bool) -> None:
        self._link_status = (text, down)
        try:
            status = self.query_one("#link-status", Static)
        except NoMatches:  # not composed yet: on_mount shows it
            return
        status.update(text)
        status.set_class(down, "down")

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.table.focus()
        # A snapshot or link change may have arrived before the widgets existed.
        if self._link_status is not None:
            self.set_link_status(self._link_status[0], down=self._link_status[1])
        if self._last is not None:
            self.show(self._last)

    def start_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._filter = event.value.strip()
        if self._last is not None:
            self.show(self._last)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.input.display = bool(event.value.strip())
        self.table.focus()

    def action_open_connection(self) -> None:
        name = self.selected()
        if name is not None:
            from syncwright.tui.connection import ConnectionScreen

            self.app.push_screen(ConnectionScreen(name))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_connection()
