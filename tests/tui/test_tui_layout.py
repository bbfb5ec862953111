"""The overview's layout at the sizes operators use: at 160x48 every column fits, the budgets
included, and the selected connection's budget bars show every window whole."""

from __future__ import annotations

import asyncio

from test_tui_snapshots import app_in, busy_rows, snap
from textual.widgets import Static

from syncwright.daemon.control.protocol import ConnectionRow
from syncwright.tui.overview import budget_panel


def test_at_160x48_the_table_fits_and_the_budget_bars_are_whole() -> None:
    async def main() -> None:
        app = app_in(snap(busy_rows()))
        async with app.run_test(size=(160, 48)) as pilot:
            await app.prepare(pilot)  # type: ignore[attr-defined]
            await pilot.pause(0.3)
            table = app.overview.table
            assert table.virtual_size.width <= table.size.width  # no column cut off
            panel = str(app.overview.query_one("#budget-panel", Static).render())
            assert "Budgets of berlin-store" in panel
            assert "erp min ██░░░ 37%" in panel and "day ███░░ 61%" in panel
            assert "shop min █████ 95%" in panel

    asyncio.run(main())


def test_the_budget_panel_follows_the_cursor() -> None:
    async def main() -> None:
        rows = busy_rows()
        rows[1] = rows[1].model_copy(update={"source": "erp2", "channel": "shop"})
        app = app_in(snap(rows))
        async with app.run_test(size=(160, 48)) as pilot:
            await app.prepare(pilot)  # type: ignore[attr-defined]
            await pilot.press("down")
            await pilot.pause(0.3)
            panel = str(app.overview.query_one("#budget-panel", Static).render())
            assert "Budgets of munich-outlet" in panel and "erp2: no budget" in panel

    asyncio.run(main())


def test_a_stale_panel_says_as_of_when() -> None:
    state = snap(busy_rows())
    conn: ConnectionRow = state.connections[0]
    text = budget_panel(conn, state, stale=True).plain
    assert "(as of 11:06:40Z)" in text.splitlines()[0]
