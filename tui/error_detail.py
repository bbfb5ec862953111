"""One sync error in full: the whole message (the part that explains it is often at the end),
first and last seen, the item's links, and "sync this item" and its sync health for the items
that can be synced one by one (products and stock), or "link a customer by hand" for a
customer ambiguity."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from syncwright.daemon.control.protocol import ErrorRow, ErrorsPage
from syncwright.tui.client import CommandError, LinkError
from syncwright.tui.format import stamp

if TYPE_CHECKING:
    from syncwright.tui.app import SyncwrightApp

#: The flows whose items the daemon can sync one by one (daemon/flows/manual.py).
SYNCABLE = ("products", "stock")


def detail_text(row: ErrorRow, links: str) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(overflow="fold")
    grid.add_row("Connection", row.connection)
    grid.add_row("Flow, item", f"{row.flow} {row.external_id}")
    grid.add_row("First seen", stamp(row.first_seen))
    grid.add_row("Last seen", stamp(row.last_seen))
    grid.add_row("Links", links)
    grid.add_row("Message", Text(row.message, style="red"))
    return grid


def links_text(row: ErrorRow) -> str:
    if not row.links:
        return "none: the item is not linked to anything yet"
    return "; ".join(
        f"{link.entity} {link.source_id} (back office) <-> {link.channel_id} (channel)"
        for link in row.links
    )


class ErrorDetailModal(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "sync", "Sync this item", show=True),
        Binding("i", "item", "Item health", show=True),
        Binding("l", "link", "Link customer", show=True),
        Binding("escape,q", "close", "Close", show=True),
    ]
    DEFAULT_CSS = """
    ErrorDetailModal { align: center middle; }
    ErrorDetailModal > VerticalScroll { width: 100%; max-width: 110; height: auto;
        max-height: 100%; border: thick $error; padding: 1 2; }
    ErrorDetailModal Horizontal { height: auto; margin-top: 1; }
    ErrorDetailModal #no-sync { width: 1fr; color: $text-muted; }
    """

    def __init__(self, row: ErrorRow) -> None:
        super().__init__()
        self.row = row

    @property
    def sw(self) -> SyncwrightApp:
        from syncwright.tui.app import SyncwrightApp

        assert isinstance(self.app, SyncwrightApp)
        return self.app

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("Sync error", style="bold"))
            yield Static(detail_text(self.row, "looking up…"), id="detail")
            with Horizontal():
                if self.row.flow in SYNCABLE:
                    yield Button("Sync this item (s)", variant="primary", id="sync")
                    yield Button("Item health (i)", id="item")
                elif self.row.link_choice is not None:
                    yield Button("Link a customer by hand (l)", variant="warning", id="link")
                else:
                    yield Static(
                        f"{self.row.flow} items are not synced one by one: the error clears "
                        "when the item changes at the source and syncs cleanly",
                        id="no-sync",
                    )
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        self.run_worker(self._links(), group="links")

    async def _links(self) -> None:
        row = self.row
        try:
            result = await self.sw.request(
                "errors",
                connection=row.connection,
                flow=row.flow,
                text=row.external_id,
                links=True,
                limit=50,
            )
        except (LinkError, CommandError) as exc:
            links = f"not known ({exc})"
        else:
            page = ErrorsPage.model_validate(result)
            same = [r for r in page.rows if r.external_id == row.external_id]
            links = links_text(same[0]) if same else "none: the error has been resolved"
        self.query_one("#detail", Static).update(detail_text(row, links))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "sync":
            self.action_sync()
        elif event.button.id == "item":
            self.action_item()
        elif event.button.id == "link":
            self.action_link()
        else:
            self.action_close()

    def action_sync(self) -> None:
        row = self.row
        if row.flow not in SYNCABLE:
            self.notify(f"{row.flow} items are not synced one by one", severity="warning")
            return
        from syncwright.tui.app import SYNC_WAIT

        self.notify(f"syncing {row.flow} {row.external_id!r} of {row.connection}…")
        self.sw.send(
            "sync_item",
            connection=row.connection,
            flow=row.flow,
            id=row.external_id,
            wait=SYNC_WAIT,
        )
        self.dismiss(None)

    def action_item(self) -> None:
        """The item's sync health screen (products and stock: the id or SKU the error names)."""
        row = self.row
        if row.flow not in SYNCABLE:
            self.notify(f"{row.flow} items have no item health screen", severity="warning")
            return
        from syncwright.tui.item import ItemScreen

        self.dismiss(None)
        self.app.push_screen(ItemScreen(row.connection, row.external_id))

    def action_link(self) -> None:
        """Settle a customer ambiguity: pick the back-office customer; the daemon links it."""
        row = self.row
        if row.link_choice is None:
            self.notify("this error is not a customer ambiguity to link", severity="warning")
            return
        from syncwright.tui.link import LinkCustomerModal, made_by

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            back_office, channel = answer
            self.sw.send(
                "link",
                connection=row.connection,
                back_office_id=back_office,
                channel_id=channel,
                made_by=made_by(),
            )
            self.dismiss(None)

        self.app.push_screen(LinkCustomerModal(row), chosen)

    def action_close(self) -> None:
        self.dismiss(None)
