"""Progress arithmetic (daemon/ops/progress.py): rate, total and the time left at the slower
of the run's own rate and the budgets' pace."""

from __future__ import annotations

import json

import pytest

from syncwright.daemon.budget.budget import BudgetStats, WindowStats
from syncwright.daemon.ops.progress import class_pace, describe, from_row


def row(items: int, pages: int, last_total: int | None, started: float = 0.0) -> dict[str, object]:
    return {
        "connection": "demo",
        "run_id": 7,
        "flows": json.dumps(["products"]),
        "started_at": started,
        "slices_done": pages,
        "items": items,
        "last_total": last_total,
    }


def window(name: str, limit: float, reserve4: float = 0.3) -> WindowStats:
    return WindowStats(name, "rolling", "UTC", limit, 0.0, limit, None, {4: reserve4})


def test_the_budget_pace_is_the_tightest_window_less_the_full_class_reserve() -> None:
    stats = BudgetStats(
        "erp", 0.0, None, None, {}, frozenset(), (window("minute", 100), window("hour", 1200))
    )
    # 100/min less 30 % = 70/min; 1200/h less 30 % = 14/min: the hour is tighter.
    assert class_pace(stats) == pytest.approx(14.0)
    assert class_pace(BudgetStats("x", 0.0, None, None, {}, frozenset(), ())) is None


def test_the_time_left_is_the_slower_of_the_rate_and_the_budgets_pace() -> None:
    # 1,000 of 10,000 items in 10 minutes: 100/min, so 90 minutes left at that rate.
    fast_budget = from_row(row(1000, 10, 10_000), 600.0, 100, [6000.0])
    assert fast_budget.rate_per_minute == pytest.approx(100.0)
    assert fast_budget.eta_seconds == pytest.approx(90 * 60)
    # At 60 calls/min and 2 calls per 100-item page, 90 pages take 3 minutes: the rate rules.
    # At 1 call/min they take 180 minutes: the budget rules.
    slow_budget = from_row(row(1000, 10, 10_000), 600.0, 100, [1.0, None])
    assert slow_budget.eta_seconds == pytest.approx(180 * 60)
    assert slow_budget.budget_calls_per_minute == 1.0
    text = describe(slow_budget.as_dict())
    assert text == (
        "full sync 7: 1000 of ~10000 items (10%), 100/min, about 3h left"
        " (the budgets allow 1 calls/min)"
    )


def test_without_a_total_there_is_no_time_left() -> None:
    first = from_row(row(250, 5, None), 60.0, 50, [60.0])
    assert first.items_total is None and first.eta_seconds is None
    assert "250 items in 5 pages" in describe(first.as_dict())
    assert "total not known yet" in describe(first.as_dict())
    # A run that has listed more than the last one did reports its own count as the total.
    grown = from_row(row(120, 3, 100), 60.0, 50, [])
    assert grown.items_total == 120
