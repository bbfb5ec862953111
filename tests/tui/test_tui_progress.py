"""The connection screen's progress bar, driven with Pilot on canned snapshots: shown with the
items done of the total while a full sync runs, hidden when none runs; a first change pass and
a backlog as lines (the backlog, which knows its total, as the bar), on canned snapshots and on
a real daemon's backlog."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from harness import async_wait_until
from helpers import state
from test_tui_keys import drive, until
from test_tui_snapshots import AT, app_in, busy_rows, snap
from textual.pilot import Pilot
from textual.widgets import ProgressBar, Static

from syncwright.daemon.control.protocol import ProgressRow
from syncwright.tui.app import SyncwrightApp
from syncwright.tui.connection import ConnectionScreen
from syncwright.tui.messages import SnapshotArrived

PROGRESS = ProgressRow(
    kind="full",
    run=3,
    flows=["products"],
    started_at=AT - 60,
    items_done=400,
    pages_done=4,
    items_total=1000,
    total_from="last full sync",
    rate_per_minute=400.0,
    budget_calls_per_minute=42.0,
    eta_seconds=90.0,
)


def test_the_bar_follows_the_snapshot() -> None:
    async def main() -> None:
        rows = busy_rows()
        rows[0] = rows[0].model_copy(update={"progress": PROGRESS})
        app = app_in(snap(rows))
        async with app.run_test(size=(160, 48)) as pilot:
            await app.prepare(pilot)  # type: ignore[attr-defined]
            await pilot.press("enter")
            await pilot.pause(0.3)
            screen = app.screen
            assert isinstance(screen, ConnectionScreen)
            bar = screen.query_one("#progress", ProgressBar)
            assert bar.display and bar.total == 1000 and bar.progress == 400
            text = str(screen.query_one("#progress-text", Static).render())
            assert "400 of ~1000 items" in text and "about 1m30s left" in text
            assert "42 calls/min" in text
            # The run ends: the next snapshot has no progress, and the bar goes.
            app.post_message(SnapshotArrived(snap(busy_rows())))
            await async_wait_until(
                lambda: not bar.display, timeout=20, message="the bar stayed", pause=pilot.pause
            )

    asyncio.run(main())


FIRST_PASS = ProgressRow(
    kind="first_pass",
    run=0,
    flows=["stock"],
    started_at=AT - 120,
    items_done=800,
    pages_done=8,
    rate_per_minute=400.0,
    budget_calls_per_minute=34.0,
)
BACKLOG = ProgressRow(
    kind="backlog",
    run=0,
    flows=[],
    started_at=AT - 600,
    items_done=120,
    pages_done=120,
    items_total=460,
    total_from="jobs done since the oldest became due, and jobs left",
    rate_per_minute=12.0,
    budget_calls_per_minute=38.0,
    eta_seconds=1700.0,
    unit="jobs",
)


def test_a_first_pass_and_a_backlog_show_as_lines_and_the_backlog_as_the_bar() -> None:
    async def main() -> None:
        rows = busy_rows()
        rows[0] = rows[0].model_copy(update={"work": [FIRST_PASS, BACKLOG], "full_running": False})
        app = app_in(snap(rows))
        async with app.run_test(size=(160, 48)) as pilot:
            await app.prepare(pilot)  # type: ignore[attr-defined]
            holding = str(app.overview.table.get_row("berlin-store")[2])
            assert holding == "backlog 340 jobs, ~28m20s"
            await pilot.press("enter")
            await pilot.pause(0.3)
            screen = app.screen
            assert isinstance(screen, ConnectionScreen)
            bar = screen.query_one("#progress", ProgressBar)
            assert bar.display and bar.total == 460 and bar.progress == 120
            text = str(screen.query_one("#progress-text", Static).render())
            assert "First change pass (stock): 800 items, 8 pages, 400/min, total not known" in text
            assert "Backlog: 120 of 460 jobs done, 340 left, 12/min, about 28m20s left" in text

    asyncio.run(main())


@pytest.mark.slow
def test_a_backlog_of_a_real_daemon_shows_on_its_connection_screen(daemon_factory: Any) -> None:
    d = daemon_factory(products=6)
    d.wait_for_event("full.finished")

    async def script(app: SyncwrightApp, pilot: Pilot[None]) -> None:
        await pilot.press("p")  # paused: the jobs below wait, so the backlog stays
        await until(lambda: "paused" in str(app.overview.table.get_row("demo")[1]), pilot)
        now = time.time()
        for i in range(60):
            payload = json.dumps({"flow": "products", "id_or_sku": str(i % 6 + 1), "n": i})
            state(
                d.config,
                "INSERT INTO jobs (connection, kind, class, state, payload, run_at, enqueued_at)"
                " VALUES ('demo', 'sync_item', 1, 'pending', ?, ?, ?)",
                (payload, now, now),
            )
        app.overview.table.focus()
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ConnectionScreen)
        text = screen.query_one("#progress-text", Static)
        await until(lambda: "Backlog: 0 of 60 jobs done, 60 left" in str(text.render()), pilot)
        bar = screen.query_one("#progress", ProgressBar)
        assert bar.total == 60 and bar.progress == 0
        await pilot.press("p")  # resumed: the backlog drains and its lines go
        await until(lambda: not bar.display, pilot, 120)

    drive(d, script)
