"""The connection screen's progress bar, driven with Pilot on canned snapshots: shown with the
items done of the total while a full sync runs, hidden when none runs."""

from __future__ import annotations

import asyncio

from harness import async_wait_until
from test_tui_snapshots import AT, app_in, busy_rows, snap
from textual.widgets import ProgressBar, Static

from syncwright.daemon.control.protocol import ProgressRow
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
