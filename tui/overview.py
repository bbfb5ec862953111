"""The overview: one row per connection, updated cell by cell so 1,000 rows stay cheap.

The columns an operator needs first come first, so they fit a standard 80x24 terminal: the
connection, its state, what holds it back now (:func:`holding`), open errors and dead jobs;
the queues per class, last syncs and each side's fullest budget window follow on wider
screens. The budget bars of the selected connection's two systems, every window in full, sit
under the table (:func:`budget_panel`): a budget belongs to a system, not a row, so its bars
are drawn once, at any width. While the daemon is unreachable every row is the last
snapshot's, dimmed and marked "as of" its time."""

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
from syncwright.tui.format import ago, budget_cell, budget_share, clock, duration, state_cell

COLUMNS = (
    ("name", "Connection"),
    ("state", "State"),
    ("holding", "Holding it back"),
    ("errors", "Err"),
    ("dead", "Dead"),
    ("oldest", "Oldest"),
    *((f"c{i}", name.capitalize()) for i, name in enumerate(CLASS_NAMES)),
    ("full", "Last full"),
    ("partial", "Last partial"),
    ("budgets", "Budgets"),
)

Cells = tuple[str | Text, ...]

#: The "holding it back" cell is cut to this many characters (the whole text is on Enter).
HOLDING_CHARS = 30
#: A backlog whose oldest ready job waits longer than this is what holds a connection back.
BACKLOG_AGE = 60.0
_BLOCKED = ("paused", "auth_failed")


def _cut(text: str, width: int = HOLDING_CHARS) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def holding(conn: ConnectionRow, snap: Snapshot) -> Text:
    """The one fact that limits the connection now, most pressing first: auth failed, paused,
    crashed, a blocked budget, a budget at its reserve for the classes that have work, a
    backlog (jobs left and the time they take, where the daemon says), a full sync or a first
    change pass under way; else "nothing"."""
    reason = (conn.pause_reason or "").removeprefix("authentication failed: ")
    if conn.state == "auth_failed":
        return Text(_cut(f"auth failed: {reason or 'credentials rejected'}"), style="bold red")
    if conn.state == "paused":
        text = reason if reason.startswith("paused") else f"paused: {reason or 'by an operator'}"
        return Text(_cut(text), style="yellow")
    if conn.state in ("backing_off", "stopped"):
        return Text(_cut(f"{conn.state.replace('_', ' ')}: {conn.last_error or ''}"), style="red")
    budgets = {b.system: b for b in snap.budgets}
    waiting = [i for i, n in enumerate(conn.jobs.get("ready", [])) if n]
    for system in (conn.source, conn.channel):
        budget = budgets.get(system)
        if budget is None:
            continue
        if budget.blocked_until is not None:
            left = duration(budget.blocked_until - snap.at)
            return Text(_cut(f"{system} budget blocked {left}"), style="bold red")
        held = [CLASS_NAMES[i] for i in waiting if i not in budget.allowed_classes]
        if held:
            fullest = max(budget.windows, key=lambda w: w.used / w.limit if w.limit else 0)
            share = fullest.used / fullest.limit if fullest.limit else 0
            text = f"{system} {fullest.name} {share:.0%}: {','.join(held)} wait"
            return Text(_cut(text), style="yellow")
    backlog = next((w for w in conn.work if w.kind == "backlog"), None)
    if backlog is not None:
        jobs_left = (backlog.items_total or 0) - backlog.items_done
        eta = f", ~{duration(backlog.eta_seconds)}" if backlog.eta_seconds is not None else ""
        return Text(_cut(f"backlog {jobs_left} jobs{eta}"), style="yellow")
    if conn.oldest_ready_age is not None and conn.oldest_ready_age > BACKLOG_AGE:
        return Text(_cut(f"backlog {duration(conn.oldest_ready_age)} old"), style="yellow")
    if conn.full_running:
        return Text("full sync running")
    first = next((w for w in conn.work if w.kind == "first_pass" and w.flows), None)
    if first is not None:
        return Text(_cut(f"first pass {first.flows[0]}: {first.items_done}"))
    return Text("nothing", style="dim")


def row_cells(conn: ConnectionRow, snap: Snapshot, *, stale: bool = False) -> Cells:
    """The row's cells; ``stale``: the daemon is unreachable, so the row shows the last
    snapshot dimmed, its state "as of" that snapshot's time and nothing as live."""
    budgets = {b.system: b for b in snap.budgets}
    queued = [0] * len(CLASS_NAMES)
    for view in ("ready", "scheduled", "retrying", "leased"):
        for i, n in enumerate(conn.jobs.get(view, [])):
            queued[i] += n
    dead = sum(conn.jobs.get("dead", []))
    full = ago(conn.last_full_sync, snap.at)
    if conn.full_running:  # why it is blocked is in the "holding it back" cell
        full += " (blocked)" if conn.state in _BLOCKED else " (running)"
    cells: Cells = (
        conn.name,
        state_cell(conn.state),
        holding(conn, snap),
        Text(str(conn.open_errors), style="bold red" if conn.open_errors else "dim"),
        Text(str(dead), style="bold red" if dead else "dim"),
        duration(conn.oldest_ready_age),
        *(str(n) if n else "·" for n in queued),
        full,
        ago(conn.last_partial_sync, snap.at),
        budget_share(budgets.get(conn.source))
        + Text(" ")
        + budget_share(budgets.get(conn.channel)),
    )
    if not stale:
        return cells
    dim = [Text(c.plain if isinstance(c, Text) else c, style="dim") for c in cells]
    dim[1] = Text(f"as of {clock(snap.at)}", style="dim italic")
    dim[2] = Text("unknown (disconnected)", style="dim italic")
    return tuple(dim)


def budget_panel(conn: ConnectionRow | None, snap: Snapshot, *, stale: bool = False) -> Text:
    """The selected connection's budgets, one line per system with every window's bar."""
    if conn is None:
        return Text("")
    budgets = {b.system: b for b in snap.budgets}
    text = Text(f"Budgets of {conn.name}", style="bold")
    if stale:
        text.append(f" (as of {clock(snap.at)})", style="italic")
    for role, system in (("source", conn.source), ("channel", conn.channel)):
        text.append(f"\n{role:>7} ")
        budget = budgets.get(system)
        text.append_text(budget_cell(budget, snap.at) if budget else Text(f"{system}: no budget"))
    if stale:
        text.stylize("dim")
    return text


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
        #: True while the daemon is unreachable: rows show the last snapshot as stale.
        self.stale = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static("connecting…", id="link-status")
            yield Static("", id="reload-status")
            yield Input(placeholder="filter connections by name", id="filter")
            table: DataTable[str | Text] = DataTable(id="connections", cursor_type="row")
            for key, label in COLUMNS:
                table.add_column(label, key=key)
            yield table
            yield Static("", id="budget-panel")
        yield Footer(compact=True, show_command_palette=False)

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
        self._show_reload(snap)
        self.call_after_refresh(self._show_budgets)
        wanted = [c for c in snap.connections if self._filter in c.name]
        names = [c.name for c in wanted]
        if list(self._cells) != names:  # rows added, removed or filtered: rebuild
            keep = self.selected()
            table.clear()
            self._cells = {}
            for conn in wanted:
                cells = row_cells(conn, snap, stale=self.stale)
                table.add_row(*cells, key=conn.name)
                self._cells[conn.name] = cells
            if keep in self._cells:
                table.move_cursor(row=names.index(keep))
            return
        for conn in wanted:  # the usual case: change only the cells that changed
            cells = row_cells(conn, snap, stale=self.stale)
            old = self._cells[conn.name]
            for (key, _), new, before in zip(COLUMNS, cells, old, strict=True):
                if new != before:
                    table.update_cell(conn.name, key, new)
            self._cells[conn.name] = cells

    def _show_budgets(self) -> None:
        snap = self._last
        try:
            panel = self.query_one("#budget-panel", Static)
        except NoMatches:
            return
        name = self.selected()
        rows = {c.name: c for c in snap.connections} if snap is not None else {}
        conn = rows.get(name) if name is not None else None
        panel.display = conn is not None
        if snap is not None:
            panel.update(budget_panel(conn, snap, stale=self.stale))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_budgets()

    def _show_reload(self, snap: Snapshot) -> None:
        """The daemon's notices: a refused config reload, schedules the budgets cannot serve."""
        line = self.query_one("#reload-status", Static)
        notices = [f"budget plan: the schedules do not fit: {w}" for w in snap.plan_warnings]
        if snap.reload_rejected_at is not None:
            reason = " ".join((snap.reload_rejected or "").split())
            notices.append(
                f"config reload rejected at {clock(snap.reload_rejected_at)}: {reason} "
                "(the daemon runs on its previous config)"
            )
        line.display = bool(notices)
        line.update("\n".join(notices))

    def set_link_status(self, text: str, *, down: bool) -> None:
        if down and self._last is not None:
            text = text.replace(
                "DISCONNECTED", f"DISCONNECTED (values as of {clock(self._last.at)})"
            )
        self._link_status = (text, down)
        if down != self.stale:  # connected <-> stale: every row is drawn again
            self.stale = down
            self._cells = {}
            try:
                self.table.set_class(down, "stale")
            except NoMatches:
                pass
            if self._last is not None:
                self.show(self._last)
        try:
            status = self.query_one("#link-status", Static)
        except NoMatches:  # not composed yet: on_mount shows it
            return
        status.update(text)
        status.set_class(down, "down")

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#reload-status", Static).display = False
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
