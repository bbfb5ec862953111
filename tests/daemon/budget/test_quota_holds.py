"""A quota header's reset bounds what it holds back, on every window kind, in memory and in the
state file (issue 13 item 7): ``X-RateLimit-Remaining: 0`` with a 53 s reset on a calendar hour
window must not block even class ``sale`` until the end of the hour, nor a 3,600 s reset on a
calendar day window for the rest of the day."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import anyio
import pytest

from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.windows import WindowSpec
from syncwright.daemon.clock import FakeClock
from syncwright.daemon.store.db import Store

T = TypeVar("T")
# 2026-01-01T00:20:00Z: 40 minutes before the calendar hour ends, 23 h 40 before the day does.
NOW = 1_767_225_600.0 + 1200

KINDS = [
    ("hour", "calendar"),
    ("day", "calendar"),
    ("month", "calendar"),
    ("minute", "rolling"),
    ("hour", "rolling"),
    ("day", "rolling"),
]


def with_store(path: Path, body: Callable[[Store], Awaitable[T]]) -> T:
    async def main() -> T:
        store = await Store.open(path)
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                try:
                    return await body(store)
                finally:
                    store.stop_writes()
        finally:
            await store.aclose()

    return anyio.run(main)


def remaining(budget: Budget) -> float:
    (window,) = budget.statistics().windows
    return window.remaining


@pytest.mark.parametrize(
    ("name", "mode", "reset"),
    [(name, mode, reset) for name, mode in KINDS for reset in (53, 3600) if name != "minute"]
    + [("minute", "rolling", 53)],
)
def test_the_reset_bounds_the_hold_on_every_window_kind(name: str, mode: str, reset: int) -> None:
    clock = FakeClock(NOW)
    budget = Budget("erp", [WindowSpec(name, 240, mode, "Europe/Berlin")], clock=clock)
    budget.observe(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})
    assert remaining(budget) == 0
    assert not budget.can_spend(0)
    assert budget.wait_time(0) == pytest.approx(reset)
    clock.advance(reset - 1)
    assert not budget.can_spend(0)
    clock.advance(1)
    # The server's window has reset (long before the end of the calendar hour or day).
    assert budget.can_spend(0)
    assert remaining(budget) == 240


def test_an_epoch_reset_bounds_a_calendar_hold_too() -> None:
    clock = FakeClock(NOW)
    budget = Budget("erp", [WindowSpec("day", 1000, "calendar")], clock=clock)
    budget.observe(200, {"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(NOW) + 7200)})
    assert budget.wait_time(0) == pytest.approx(7200)


def test_a_header_without_reset_still_holds_for_the_window() -> None:
    clock = FakeClock(NOW)
    budget = Budget("erp", [WindowSpec("day", 1000, "calendar")], clock=clock)
    budget.observe(200, {"X-DayLimit-Remaining": "0"})
    assert budget.wait_time(0) == pytest.approx(86_400 - 1200)  # to the end of the day


@pytest.mark.parametrize(("name", "mode"), [("hour", "calendar"), ("day", "calendar")])
def test_the_state_file_never_holds_more_than_the_reset(
    tmp_path: Path, name: str, mode: str
) -> None:
    path = tmp_path / "state.db"
    clock = FakeClock(NOW)
    windows = [WindowSpec(name, 240, mode, "UTC")]

    async def first(store: Store) -> None:
        budget = Budget("erp", windows, clock=clock)
        await budget.load(store)
        assert budget.try_spend(0, 10)
        budget.observe(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "53"})
        await budget.flush(store)

    with_store(path, first)
    with sqlite3.connect(path) as conn:
        stored = conn.execute("SELECT sum(used) FROM budget_usage").fetchone()[0]
    assert stored == 10, "only what was spent is stored as usage"

    async def restart(store: Store) -> tuple[bool, float, float]:
        budget = Budget("erp", windows, clock=clock)
        await budget.load(store)
        return budget.can_spend(0), budget.wait_time(0), remaining(budget)

    # A restart within the reset holds back what is left of it; after it, nothing.
    clock.advance(20)
    assert with_store(path, restart) == (False, pytest.approx(33), 0)
    clock.advance(33)
    assert with_store(path, restart) == (True, 0.0, 230)
