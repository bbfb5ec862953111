"""The sync log's open errors, newest first. The filter takes ``conn:NAME``, ``flow:NAME``
and free text (matched against the item and the message)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Input, Static

from syncwright.daemon.control.protocol import ErrorRow, ErrorsPage
from syncwright.tui.format import stamp
from syncwright.tui.live import LiveScreen

PAGE = 200
#: The table shows this much of a message; enter opens it whole.
MESSAGE_CHARS = 120


def parse_filter(text: str) -> dict[str, str]:
    args: dict[str, str] = {}
    words = []
    for word in text.split():
        key, _, value = word.partition(":")
        if key in ("conn", "flow") and value:
            args["connection" if key == "conn" else "flow"] = value
        else:
            words.append(word)
    if words:
        args["text"] = " ".join(words)
    return args


class ErrorsScreen(LiveScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Find", show=True),
        Binding("enter", "open_error", "Open", show=True),
    ]

    def __init__(self, connection: str | None = None) -> None:
        super().__init__(id="errors")
        self.filter_text = f"conn:{connection}" if connection else ""
        self.rows: list[ErrorRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Sync errors", classes="title")
        yield Input(
            value=self.filter_text,
            placeholder="filter: conn:NAME flow:NAME words…",
            id="search",
        )
        yield Static("", id="problem")
        yield Static("", id="count")
        yield DataTable(id="error-table", cursor_type="row")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#error-table", DataTable).add_columns(
            "Last seen", "Connection", "Flow", "Item", "Message"
        )
        self.query_one("#error-table", DataTable).focus()
        super().on_mount()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    async def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        await self.reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#error-table", DataTable).focus()

    def request(self) -> tuple[str, dict[str, Any]]:
        return "errors", {**parse_filter(self.filter_text), "limit": PAGE}

    def show(self, result: dict[str, Any]) -> None:
        page = ErrorsPage.model_validate(result)
        table = self.query_one("#error-table", DataTable)
        at = table.cursor_row
        table.clear()
        self.rows = page.rows
        for row in page.rows:
            text = " ".join(row.message.split())
            cut = text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"
            table.add_row(stamp(row.last_seen), row.connection, row.flow, row.external_id, cut)
        if page.rows:
            table.move_cursor(row=min(at, len(page.rows) - 1))
        self.query_one("#count", Static).update(
            f"{len(page.rows)} of {page.total} open errors; enter shows one whole"
        )

    def action_open_error(self) -> None:
        table = self.query_one("#error-table", DataTable)
        if self.rows and 0 <= table.cursor_row < len(self.rows):
            from syncwright.tui.error_detail import ErrorDetailModal

            self.app.push_screen(ErrorDetailModal(self.rows[table.cursor_row]))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_error()
