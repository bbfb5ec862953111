"""Windows named by their span ("30s", "5m"): BigCommerce's 150 calls per 30 seconds and
Lightspeed X-Series' 350 per 5 minutes are budgets of their own, not a tighter approximation."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_budget import make, spend_all, used, with_store

from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.windows import WindowSpec, window_seconds
from syncwright.daemon.clock import FakeClock
from syncwright.daemon.config.load import ConfigError, load_config
from syncwright.daemon.store.db import Store


def test_spans_name_their_length() -> None:
    assert window_seconds("30s") == 30
    assert window_seconds("5m") == 300
    assert window_seconds("2h") == 7200
    assert window_seconds("minute") == 60
    for bad in ("0s", "5", "5 m", "5d", "m5", "-5m", "week"):
        with pytest.raises(ValueError, match="30s, 5m or 2h"):
            window_seconds(bad)
    with pytest.raises(ValueError, match="rolling only"):
        WindowSpec("5m", 350, "calendar")


def test_a_thirty_second_window_allows_its_limit_at_once_and_frees_it_after_30s() -> None:
    budget, clock = make(WindowSpec("30s", 150))
    assert spend_all(budget, 0) == 150  # a burst the tighter 5-a-second budget never allowed
    clock.advance(29)
    assert not budget.can_spend(0)
    clock.advance(2)  # 31 s: the one-second sub-bucket has left the window
    assert budget.can_spend(0)
    assert spend_all(budget, 0) == 150


def test_a_five_minute_window_holds_between_minutes() -> None:
    budget, clock = make(WindowSpec("5m", 350), WindowSpec("minute", 1000))
    spent = []
    for _ in range(4):
        n = 0
        while n < 100 and budget.try_spend(0):
            n += 1
        spent.append(n)
        clock.advance(60)
    assert spent == [100, 100, 100, 50]
    assert used(budget, "5m") == 350
    assert not budget.can_spend(0)  # the minute window is empty, the 5 minutes are not
    clock.advance(300)
    assert budget.can_spend(0)


def test_span_windows_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    windows = [WindowSpec("30s", 150), WindowSpec("5m", 350)]
    clock = FakeClock()

    async def first(store: Store) -> None:
        budget = Budget("shop", windows, clock=clock)
        await budget.load(store)
        assert budget.try_spend(0, 100)
        await budget.flush(store)

    with_store(path, first)
    clock.advance(10)

    async def second(store: Store) -> dict[str, float]:
        budget = Budget("shop", windows, clock=clock)
        await budget.load(store)
        return {w.name: w.used for w in budget.statistics().windows}

    assert with_store(path, second) == {"30s": 100, "5m": 100}


CONFIG = """
[daemon]
state_file = "state.db"

[systems.shop]
kind = "sandbox-shop"
url = "http://127.0.0.1:9"
credentials = {{ api_key = {{ env = "X" }} }}
budget.windows = {{ {windows} }}
"""


def test_config_takes_spans_and_refuses_nonsense(tmp_path: Path) -> None:
    def load(windows: str) -> object:
        path = tmp_path / "config.toml"
        path.write_text(CONFIG.format(windows=windows))
        return load_config(path)

    config = load("30s = { limit = 150 }, minute = { limit = 300 }")
    assert set(config.systems["shop"].budget.windows) == {"30s", "minute"}  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="a span such as 30s, 5m or 2h"):
        load("fortnight = { limit = 1 }")
    with pytest.raises(ConfigError, match="rolling only"):
        load('5m = { limit = 350, mode = "calendar" }')
