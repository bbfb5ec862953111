"""Link a customer by hand from a customer ambiguity error (the control command ``link``, as
``syncwright link`` sends it): pick which back-office customer the channel customer is, and
the daemon records the link with who made it, resolves the error and queues again the orders
that waited for it."""

from __future__ import annotations

import getpass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from syncwright.daemon.control.protocol import ErrorRow


def made_by() -> str:
    """Who links it, as recorded with the link: the user running the TUI."""
    try:
        return f"{getpass.getuser()} (tui)"
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "tui"


class LinkCustomerModal(ModalScreen[tuple[str, str] | None]):
    """Dismisses with (back-office id, channel id), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=True)]
    DEFAULT_CSS = """
    LinkCustomerModal { align: center middle; }
    LinkCustomerModal > Vertical { width: 100%; max-width: 80; height: auto;
        border: thick $warning; padding: 1 2; }
    LinkCustomerModal OptionList { height: auto; max-height: 8; }
    LinkCustomerModal Horizontal { height: auto; margin-top: 1; }
    LinkCustomerModal .hint { color: $text-muted; }
    """

    def __init__(self, row: ErrorRow) -> None:
        super().__init__()
        assert row.link_choice is not None
        self.row = row
        self.choice = row.link_choice

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Link a customer of {self.row.connection} by hand")
            yield Static("Which back-office customer is it?")
            yield OptionList(
                *(Option(f"customer {i}", id=i) for i in self.choice.back_office_ids),
                id="candidates",
            )
            yield Static("to the channel customer (its id, or email:ADDRESS):")
            yield Input(
                value=self.choice.channel_id or "", placeholder="channel customer id", id="channel"
            )
            yield Static(
                "Recorded with your user name as who linked it; the error is resolved and "
                "the orders waiting for this customer are queued again.",
                classes="hint",
            )
            with Horizontal():
                yield Button("Link", variant="warning", id="link")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        options = self.query_one("#candidates", OptionList)
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        channel = self.query_one("#channel", Input)
        if channel.value.strip():
            self._link()
        else:
            channel.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._link()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "link":
            self._link()
        else:
            self.dismiss(None)

    def _link(self) -> None:
        options = self.query_one("#candidates", OptionList)
        channel = self.query_one("#channel", Input).value.strip()
        if options.highlighted is None:
            self.notify("pick the back-office customer first", severity="warning")
            return
        if not channel:
            self.notify("the channel customer's id is needed", severity="warning")
            self.query_one("#channel", Input).focus()
            return
        self.dismiss((self.choice.back_office_ids[options.highlighted], channel))

    def action_cancel(self) -> None:
        self.dismiss(None)
