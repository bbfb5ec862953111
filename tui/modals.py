"""Modal dialogs: confirm a destructive action, ask for an item to sync, and the key help."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmModal(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", show=True),
        Binding("n,escape", "answer(False)", "No", show=True),
    ]
    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical { width: 60; height: auto; border: thick $warning; padding: 1 2; }
    ConfirmModal Label { width: 100%; }
    ConfirmModal Horizontal { height: auto; margin-top: 1; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            with Horizontal():
                yield Button("Yes (y)", variant="warning", id="yes")
                yield Button("No (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class SyncItemModal(ModalScreen[tuple[str, str] | None]):
    """Asks for the flow and the id or SKU; dismisses with them (None: cancelled)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=True)]
    DEFAULT_CSS = """
    SyncItemModal { align: center middle; }
    SyncItemModal > Vertical { width: 64; height: auto; border: thick $accent; padding: 1 2; }
    """

    def __init__(self, connection: str) -> None:
        super().__init__()
        self.connection = connection

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Sync one item of {self.connection} now")
            yield Input(value="products", placeholder="products or stock", id="flow")
            yield Input(placeholder="product id or SKU (stock: the SKU)", id="item")
            yield Static("enter: sync   escape: cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#item", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        flow = self.query_one("#flow", Input).value.strip()
        item = self.query_one("#item", Input).value.strip()
        if event.input.id == "flow":
            self.query_one("#item", Input).focus()
        elif item:
            self.dismiss((flow, item))

    def action_cancel(self) -> None:
        self.dismiss(None)


#: The keys and what they do; the text column wraps under itself, never under the keys.
HELP_KEYS = (
    ("s", "sync one item now: asks flow and id / SKU, shows the outcome"),
    ("F", "full resync of the selected connection (asks first)"),
    ("p", "pause / resume the selected connection"),
    ("r", "dead jobs of the selected connection (r retries one, a all)"),
    (
        "e",
        "sync errors (/ filters: conn:NAME flow:NAME words); enter on one shows it whole: "
        "s syncs its item, i its sync health, l links a customer by hand",
    ),
    ("b", "budgets per system and window"),
    (
        "enter",
        "the selected connection's queues, cursors and recent activity; there d: dry run, "
        "i: one item's sync health",
    ),
    ("/", "filter the list"),
    ("escape", "back"),
    ("?", "this help"),
    ("q", "quit"),
)


def help_text() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(overflow="fold")
    for key, text in HELP_KEYS:
        grid.add_row(key, text)
    return grid


class HelpModal(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", show=True)
    ]
    DEFAULT_CSS = """
    HelpModal { align: center middle; }
    HelpModal > Vertical { width: 100%; max-width: 84; height: auto; border: thick $accent;
        padding: 1 2; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Keys", style="bold"))
            yield Static(help_text())

    def action_close(self) -> None:
        self.dismiss(None)
