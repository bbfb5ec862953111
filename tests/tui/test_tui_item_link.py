"""The item health screen and linking a customer by hand, pressed with Pilot against a real
daemon over its real socket and the sandbox systems; each test checks the daemon's state."""

from __future__ import annotations

import re
from typing import Any

import pytest
from helpers import state
from test_tui_keys import _plain, drive, until
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from syncwright.tui.app import SyncwrightApp
from syncwright.tui.connection import ConnectionScreen
from syncwright.tui.error_detail import ErrorDetailModal
from syncwright.tui.errors import ErrorsScreen
from syncwright.tui.item import AskItemModal, ItemScreen
from syncwright.tui.link import LinkCustomerModal

pytestmark = pytest.mark.slow

ITEM_SYNCS = (
    "SELECT state FROM jobs WHERE kind = 'sync_item' AND json_extract(payload, '$.id_or_sku') = ?"
)


def test_i_on_a_connection_shows_an_items_health_and_s_syncs_it(daemon_factory: Any) -> None:
    d = daemon_factory(products=6)
    d.wait_for_event("full.finished")

    async def script(app: SyncwrightApp, pilot: Pilot[None]) -> None:
        app.overview.table.focus()
        await pilot.press("enter", "i")
        assert isinstance(app.screen, AskItemModal)
        await pilot.press("3", "enter")
        screen = app.screen
        assert isinstance(screen, ItemScreen)
        health = screen.query_one("#health", Static)
        await until(lambda: "Back office" in _plain(health), pilot)
        text = _plain(health)
        assert "Channel" in text and "Last written" in text and "change token" in text
        assert re.search(r"Open errors +none", text)
        stock = screen.query_one("#stock", DataTable)
        await until(lambda: stock.row_count >= 1, pilot)
        await pilot.press("s")
        await until(lambda: state(d.config, ITEM_SYNCS, ("3",)) == [("done",)], pilot)
        # The job that synced it is among the item's last jobs.
        jobs = screen.query_one("#item-jobs", DataTable)
        await until(
            lambda: any("sync_item" in str(jobs.get_row_at(i)) for i in range(jobs.row_count)),
            pilot,
        )
        await pilot.press("escape")
        assert isinstance(app.screen, ConnectionScreen)

    drive(d, script)


def test_i_on_an_errors_detail_opens_the_items_health(daemon_factory: Any) -> None:
    d = daemon_factory(products=6)
    d.wait_for_event("full.finished")
    state(
        d.config,
        "INSERT INTO sync_errors VALUES ('demo', 'products', '2', 'price refused', 1, 2)",
    )

    async def script(app: SyncwrightApp, pilot: Pilot[None]) -> None:
        await pilot.press("e")
        table = app.screen.query_one("#error-table", DataTable)
        await until(lambda: table.row_count == 1, pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, ErrorDetailModal)
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, ItemScreen) and screen.item == "2"
        health = screen.query_one("#health", Static)
        await until(lambda: "price refused" in _plain(health), pilot)
        assert "Back office" in _plain(health)

    drive(d, script)


def test_l_on_a_customer_ambiguity_links_the_chosen_customer(daemon_factory: Any) -> None:
    d = daemon_factory()
    message = (
        "customer 5 matches sandbox customer sc_77 (ann@example.com), which is already linked"
        " to customer 4; two back-office customers share it"
    )
    state(
        d.config,
        "INSERT INTO sync_errors VALUES ('demo', 'customers', '5', ?, 1, 2)",
        (message,),
    )
    made = (
        "SELECT source_id, channel_id, made_by FROM links WHERE connection = 'demo'"
        " AND entity = 'customer' AND made_by IS NOT NULL"
    )

    async def script(app: SyncwrightApp, pilot: Pilot[None]) -> None:
        await pilot.press("e")
        table = app.screen.query_one("#error-table", DataTable)
        await until(lambda: table.row_count == 1, pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, ErrorDetailModal)
        await pilot.press("l")
        assert isinstance(app.screen, LinkCustomerModal)
        await pilot.press("escape")  # cancelled: nothing linked
        assert isinstance(app.screen, ErrorDetailModal)
        assert state(d.config, made) == []
        await pilot.press("l")
        await pilot.press("down", "enter")  # the second candidate: customer 4
        await until(lambda: state(d.config, made) != [], pilot)
        ((source, channel, by),) = state(d.config, made)
        assert (source, channel) == ("4", "sc_77") and by.endswith("(tui)")
        assert isinstance(app.screen, ErrorsScreen)

    drive(d, script)
