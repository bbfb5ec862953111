"""Every key of the TUI, pressed with Pilot against a real daemon over its real socket and the
sandbox systems; each test checks what changed in the daemon's state file."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from harness import async_wait_until
from helpers import state
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from syncwright.tui.app import SyncwrightApp
from syncwright.tui.budgets import BudgetsScreen
from syncwright.tui.connection import ConnectionScreen
from syncwright.tui.deadjobs import DeadJobsScreen
from syncwright.tui.error_detail import ErrorDetailModal
from syncwright.tui.errors import ErrorsScreen
from syncwright.tui.modals import ConfirmModal, HelpModal, SyncItemModal

pytestmark = pytest.mark.slow
SIZE = (160, 48)


async def until(check: Callable[[], Any], pilot: Pilot[None], seconds: float = 30) -> Any:
    """:func:`harness.async_wait_until`, letting the app run between the checks."""
    return await async_wait_until(
        check, timeout=seconds, message="condition not met in time", pause=pilot.pause
    )


def drive(d: Any, script: Callable[[SyncwrightApp, Pilot[None]], Awaitable[None]]) -> None:
    async def main() -> None:
        app = SyncwrightApp(d.socket)
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: app.overview.table.row_count == 1, pilot)
            await script(app, pilot)

    asyncio.run(main())


def test_p_pauses_and_resumes_the_selected_connection(daemon_factory: Any) -> None:
    d = daemon_factory()
    paused = "SELECT paused FROM connection_state WHERE connection = 'demo'"

    async def script(app: SyncwrightApp, pilot: Pilot[None]) -> None:
        await pilot.press("p")
        await until(lambda: state(d.config, paused) == [(1,)], pilot)
        # The snapshot shows it within a second or so, and then p resumes.
        await until(lambda: "paused" in str(app.overview.table.get_row("demo")[1]), pilot, 3)
        await pilot.press("p")
        await until(lambda: state(d.config, paused) == [(0,)], pilot)

    drive(d, script)


def test_s_syncs_one_item_and_shows_the_outcome(daemon_factory: Any) -> None:
    d = daemon_factory()

    async def script(app: SyncwrightApp, pilot: Pilot[None]) -> None:
        await pilot.press("s")
        assert isinstance(app.screen, SyncItemModal)
        await pilot.press(*"4", "enter")
        await until(
            lambda: (
                state(d.config, "SELECT class, state FROM jobs WHERE kind = 'sync_item'")
                == [(1, "done")]
            ),
            pilot,
        )
        await until(lambda: any("synced" in str(n.message) for n in app._notifications), pilot, 20)

    drive(d, script)


def test_capital_f_resyncs_after_confirmation(daemon_factory: Any) -> None:
    d = daemon_factory()
    runs = "SELECT count(*) FROM full_runs WHERE reason = 'operator'"

    async def script(app: SyncwrightApp, pilot: Pilot[None]) -> None:
        await pilot.press("F")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")  # declined: nothing happens
        # A request would be an "actions" worker, done once the daemon answered (after the
        # run was written): when none is left running, nothing was sent.
        for worker in [w for w in app.workers if w.group == "actions"]:
            await worker.wait()
        assert state(d.config, runs) == [(0,)]
        await pilot.press("F", "y")
        await until(lambda: state(d.config, runs) == [(1,)], pilot)

    drive(d, script)


def test_r_opens_dead_jobs_and_retries_one(daemon_factory: Any) -> None:
    d = daemon_factory()
    dead = "SELECT id, finished_at FROM jobs WHERE state = 'dead'"

    # A job that died earlier (the item was broken then), as the queue leaves it.
    state(
        d.config,
        "INSERT INTO jobs (connection, kind, class, state, payload, run_at, enqueued_at,"
        " attempts, last_error, errors, finished_at) VALUES ('demo', 'sync_item', 1, 'dead',"
        """ '{"flow": "products", "id_or_sku": "3", "stock": true}', 0, 0, 1, 'broken',"""
        " '[]', 1)",
    )

    async def script(app: SyncwrightApp, pilot: Pilot[None]) -> None:
        ((job, died_at),) = state(d.config, dead)
        await pilot.press("r")
        assert isinstance(app.screen, DeadJobsScreen)
        table = app.screen.query_one("#dead-table", DataTable)
        await until(lambda: table.row_count == 1, pilot)
        await pilot.press("r")
        # Retried: it ran again.
        await until(
            lambda: state(
                d.config,
                "SELECT 1 FROM jobs WHERE id = ? AND (state != 'dead' OR finished_at > ?)",
                (job, died_at),
            ),
            pilot,
        )

    drive(d, script)


def test_e_b_slash_help_enter_and_q(daemon_factory: Any) -> None:
    d = daemon_factory()
    state(
        d.config,
        "INSERT INTO sync_errors VALUES ('demo', 'customers', 'X-1', 'price refused', 1, 2),"
        " ('demo', 'orders', 'Y-2', 'unknown location', 1, 3)",
    )

    async def script(app: SyncwrightApp, pilot: Pilot[None]) -> None:
        await pilot.press("e")
        assert isinstance(app.screen, ErrorsScreen)
        table = app.screen.query_one("#error-table", DataTable)
        await until(lambda: table.row_count == 2, pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*" location")
        await until(lambda: table.row_count == 1, pilot)
        await pilot.press("escape", "escape")
        await pilot.press("b")
        assert isinstance(app.screen, BudgetsScreen)
        budgets = app.screen.query_one("#budget-table", DataTable)
        await until(lambda: budgets.row_count >= 2, pilot)
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpModal)
        await pilot.press("escape", "slash")
        await pilot.press(*"nomatch")
        await until(lambda: app.overview.table.row_count == 0, pilot)
        for _ in range(7):
            await pilot.press("backspace")
        await until(lambda: app.overview.table.row_count == 1, pilot)
        app.overview.table.focus()
        await pilot.press("enter")
        assert isinstance(app.screen, ConnectionScreen)
        queues = app.screen.query_one("#queues", DataTable)
        await until(lambda: queues.row_count == 6, pilot)
        await pilot.press("escape", "q")
        await until(lambda: not app.is_running, pilot, 5)

    drive(d, script)


def test_the_tui_shows_disconnected_and_reconnects(daemon_factory: Any) -> None:
    from control_helpers import wait_for_socket

    d = daemon_factory()

    async def script(app: SyncwrightApp, pilot: Pilot[None]) -> None:
        status = app.overview.query_one("#link-status")
        first_pid = d.proc.pid
        d.stop()
        await until(lambda: "DISCONNECTED" in str(status.render()), pilot, 15)
        # Stale, not live: the row says as of when, and no state.
        await until(lambda: "as of" in str(app.overview.table.get_row("demo")[1]), pilot, 5)
        assert "running" not in str(app.overview.table.get_row("demo")[1])
        assert "values as of" in str(status.render())
        d.restart()
        await asyncio.to_thread(wait_for_socket, d.socket, d)
        await until(lambda: f"pid {d.proc.pid}" in str(status.render()), pilot, 30)
        assert d.proc.pid != first_pid
        await pilot.press("p")
        await until(lambda: state(d.config, "SELECT paused FROM connection_state") == [(1,)], pilot)

    drive(d, script)


def test_enter_on_an_error_shows_it_whole_and_s_syncs_the_item(daemon_factory: Any) -> None:
    d = daemon_factory()
    d.wait_for_event("full.finished")  # the first pass settles the products' sync log first
    # An item the sync will not touch by itself (gone from the back office since).
    long = "the shop refused product 9999: " + "a reason that goes on, " * 8 + "THE END"
    state(
        d.config,
        "INSERT INTO sync_errors VALUES ('demo', 'products', '9999', ?, 1, 2)",
        (long,),
    )

    async def script(app: SyncwrightApp, pilot: Pilot[None]) -> None:
        await pilot.press("e")
        table = app.screen.query_one("#error-table", DataTable)
        await until(lambda: table.row_count == 1, pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, ErrorDetailModal)
        detail = app.screen.query_one("#detail", Static)
        await until(lambda: "looking up" not in _plain(detail), pilot)
        assert "THE END" in _plain(detail)  # the whole message, not its first 120 characters
        assert "1970-01-01 00:00:01Z" in _plain(detail)  # first seen
        await pilot.press("s")
        await until(
            lambda: (
                state(
                    d.config,
                    "SELECT state FROM jobs WHERE kind = 'sync_item'"
                    " AND json_extract(payload, '$.id_or_sku') = '9999'",
                )
                == [("done",)]
            ),
            pilot,
        )
        assert isinstance(app.screen, ErrorsScreen)

    drive(d, script)


def _plain(widget: Static) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def test_d_on_a_connection_shows_its_dry_run_plan(daemon_factory: Any) -> None:
    from helpers import api
    from textual.widgets import Static

    from syncwright.tui.plan import PlanScreen

    d = daemon_factory(products=6)
    links = "SELECT count(*) FROM links WHERE entity = 'product'"

    async def script(app: SyncwrightApp, pilot: Pilot[None]) -> None:
        await until(lambda: state(d.config, links) == [(6,)], pilot, 60)
        await pilot.press("p")  # paused: the edit below stays unsynced while the plan reads it
        await until(lambda: "paused" in str(app.overview.table.get_row("demo")[1]), pilot)
        api(d.box.erp, "PATCH", "/admin/products/2", {"title": "Seen in the plan"})
        app.overview.table.focus()
        await pilot.press("enter", "d")
        assert isinstance(app.screen, PlanScreen)
        body = app.screen.query_one("#plan-body", Static)
        await until(lambda: "update 2: title" in str(body.render()), pilot)
        assert "Calls this plan's reads cost: erp" in str(body.render())
        # Nothing was written: the shop still has the old title, and R plans again.
        shop = api(d.box.shop, "GET", "/api/products", limit=10)["items"]
        assert shop and all(p["title"] != "Seen in the plan" for p in shop)
        await pilot.press("R")
        await until(lambda: "update 2: title" in str(body.render()), pilot)

    drive(d, script)
