"""Dead jobs of one connection, with their last error; r retries the highlighted one, a
retries them all (after a confirmation)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from syncwright.daemon.control.protocol import CLASS_NAMES, QueueView
from syncwright.tui.client import CommandError, LinkError
from syncwright.tui.format import stamp
from syncwright.tui.live import LiveScreen
from syncwright.tui.modals import ConfirmModal


class DeadJobsScreen(LiveScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry_one", "Retry job", show=True),
        Binding("a", "retry_all", "Retry all", show=True),
    ]

    def __init__(self, connection: str) -> None:
        super().__init__(id="dead")
        self.connection = connection

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Dead jobs of {self.connection}", classes="title")
        yield Static("", id="problem")
        yield DataTable(id="dead-table", cursor_type="row")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#dead-table", DataTable).add_columns(
            "Job", "Kind", "Class", "Flow", "Attempts", "Died", "Last error"
        )
        self.query_one("#dead-table", DataTable).focus()
        super().on_mount()

    def request(self) -> tuple[str, dict[str, Any]]:
        return "queue", {"connection": self.connection, "limit": 200}

    def show(self, result: dict[str, Any]) -> None:
        view = QueueView.model_validate(result)
        table = self.query_one("#dead-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for job in view.dead:
            table.add_row(
                str(job.id),
                job.kind,
                CLASS_NAMES[job.cls],
                job.flow or "-",
                str(job.attempts),
                stamp(job.finished_at),
                Text((job.last_error or "")[:100], style="red"),
                key=str(job.id),
            )
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))

    async def action_retry_one(self) -> None:
        table = self.query_one("#dead-table", DataTable)
        if table.row_count == 0:
            self.notify("no dead job to retry")
            return
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        await self._retry(job=int(str(row_key.value)))

    def action_retry_all(self) -> None:
        async def confirmed(yes: bool | None) -> None:
            if yes:
                await self._retry(all=True)

        self.app.push_screen(ConfirmModal(f"Retry every dead job of {self.connection}?"), confirmed)

    async def _retry(self, **args: Any) -> None:
        try:
            result = await self.sw.request("retry", connection=self.connection, **args)
        except (LinkError, CommandError) as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(result["message"])
        await self.reload()
