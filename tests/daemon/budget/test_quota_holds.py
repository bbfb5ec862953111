"""A quota header's reset bounds what it holds back, on every window kind, in memory and in the
state file (issue 13 item 7): ``X-RateLimit-Remaining: 0`` with a 53 s reset on a calendar hour
window must not block even class ``sale`` until the end of the hour, nor a 3,600 s reset on a
calendar day window for the rest of the day."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest
from harness import async_wait_until

from syncwright.connectors.errors import RateLimitedError
from syncwright.connectors.http import JsonClient
from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.gate import BudgetGate, current_class
from syncwright.daemon.budget.windows import WindowSpec
from syncwright.daemon.clock import FakeClock, SystemClock
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


class QuotaServer(ThreadingHTTPServer):
    """Answers its first call with "nothing left, resets in 2 s", later ones without a word."""

    daemon_threads = True

    def __init__(self) -> None:
        self.calls = 0
        super().__init__(("127.0.0.1", 0), _QuotaHandler)


class _QuotaHandler(BaseHTTPRequestHandler):
    server: QuotaServer

    def log_message(self, *args: Any) -> None: ...

    def do_GET(self) -> None:
        self.server.calls += 1
        self.send_response(200)
        if self.server.calls == 1:
            self.send_header("X-RateLimit-Remaining", "0")
            self.send_header("X-RateLimit-Reset", "2")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


def test_over_http_a_quota_header_holds_a_calendar_hour_only_until_its_reset(
    tmp_path: Path,
) -> None:
    server = QuotaServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    path = tmp_path / "state.db"
    url = f"http://127.0.0.1:{server.server_address[1]}"

    async def main(store: Store) -> None:
        budget = Budget(
            "api", [WindowSpec("hour", 240, "calendar", "Europe/Berlin")], clock=SystemClock()
        )
        await budget.load(store)
        gate = BudgetGate(budget, store, max_wait=0.0)
        client = JsonClient(url, system="api", gate=gate)
        current_class.set(0)  # sale: only the server's own word may stop it
        try:
            await client.request("GET", "/a")
            with pytest.raises(RateLimitedError) as refused:
                await client.request("GET", "/b")
            held = refused.value.retry_after or 0.0
            assert 0 < held <= 2.0, "held until the server's reset, not the end of the hour"
            await budget.flush(store)
            await async_wait_until(lambda: budget.can_spend(0), timeout=10, interval=0.05)
            await client.request("GET", "/c")
            await budget.flush(store)
        finally:
            await client.aclose()

    try:
        with_store(path, main)
    finally:
        server.shutdown()
        server.server_close()
    assert server.calls == 2
    with sqlite3.connect(path) as conn:
        (stored,) = conn.execute("SELECT sum(used) FROM budget_usage").fetchone()
    assert stored == 2, "the state file holds the two calls made, not a full hour"
