"""Short windows hold at the server (issue 13 item 8): a loopback server records when each call
reaches it, calls take a random while to get there (a busy connection pool, a slow network),
and no rolling one-second span at the server may hold more calls than the second window's
limit. The daemon's gate counts calls in flight and spaces them with aiolimiter."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from syncwright.connectors.errors import RateLimitedError
from syncwright.connectors.http import JsonClient
from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.gate import BudgetGate, current_class
from syncwright.daemon.budget.windows import WindowSpec
from syncwright.daemon.clock import FakeClock, SystemClock
from syncwright.daemon.store.db import Store

LIMIT = 4
CALLS = 28


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.lock = threading.Lock()
        self.rng = random.Random(7)
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: Recorder

    def log_message(self, *args: Any) -> None: ...

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.arrivals.append(time.monotonic())
            work = self.server.rng.uniform(0.0, 0.05)
        time.sleep(work)
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class SlowToSend(httpx.AsyncBaseTransport):
    """Each request waits a random while before it goes out, as behind a busy pool."""

    def __init__(self, seed: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.rng = random.Random(seed)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await anyio.sleep(self.rng.uniform(0.0, 0.3))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def crowded_spans(arrivals: list[float], limit: int) -> list[tuple[float, float]]:
    """Every run of limit + 1 calls that reached the server within one second."""
    times = sorted(arrivals)
    return [
        (times[i], times[i + limit])
        for i in range(len(times) - limit)
        if times[i + limit] - times[i] < 1.0
    ]


def test_no_rolling_second_at_the_server_holds_more_than_the_limit(
    recorder: Recorder, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{recorder.server_address[1]}"

    async def main() -> None:
        store = await Store.open(tmp_path / "state.db")
        async with anyio.create_task_group() as tg:
            await tg.start(store.serve)
            budget = Budget("api", [WindowSpec("second", LIMIT)], clock=SystemClock())
            gate = BudgetGate(budget, store)
            made = 0

            async def caller(seed: int) -> None:
                nonlocal made
                current_class.set(0)
                client = JsonClient(url, system="api", gate=gate, transport=SlowToSend(seed))
                try:
                    while made < CALLS:
                        try:
                            await client.request("GET", "/item")
                        except RateLimitedError as exc:  # refused locally: try again soon
                            await anyio.sleep(min(exc.retry_after or 0.1, 0.5))
                            continue
                        made += 1
                finally:
                    await client.aclose()

            async with anyio.create_task_group() as callers:
                for seed in range(6):
                    callers.start_soon(caller, seed)
            store.stop_writes()
        await store.aclose()

    anyio.run(main)
    assert len(recorder.arrivals) >= CALLS
    assert crowded_spans(recorder.arrivals, LIMIT) == []


def test_a_call_in_flight_counts_until_its_answer_in_a_second_window() -> None:
    clock = FakeClock()
    budget = Budget("api", [WindowSpec("second", 2)], clock=clock)
    first = budget.spend_call(0)
    second = budget.spend_call(0)
    assert first is not None and second is not None
    assert budget.spend_call(0) is None
    clock.advance(5.0)  # both still unanswered: they still count
    assert not budget.can_spend(0)
    assert 0 < budget.wait_time(0) <= 1.1
    budget.landed(first)
    clock.advance(0.5)
    assert not budget.can_spend(0), "answered half a second ago: it still counts"
    clock.advance(0.6)
    assert budget.can_spend(0)
    budget.landed(second)
    # A call never answered stops counting after MAX_FLIGHT (its connector gave up on it).
    third = budget.spend_call(0)
    assert third is not None and not budget.can_spend(0, 2)
    clock.advance(200)
    assert budget.can_spend(0, 2)
