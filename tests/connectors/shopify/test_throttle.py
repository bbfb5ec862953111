"""Cost pacing, THROTTLED and 429 handling against the emulator, with the daemon's real budget.

The budget's unit for Shopify is cost points: the gate is charged each query's requested cost
up front and reconciled with the actual cost Shopify reports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import anyio
import pytest
from shopify_support import channel, running

from syncwright.connectors.errors import RateLimitedError, TransientError
from syncwright.connectors.model import StockLevel
from syncwright.connectors.shopify.emulator.bucket import Bucket
from syncwright.connectors.testing import sample_products
from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.gate import BudgetGate
from syncwright.daemon.budget.windows import WindowSpec
from syncwright.daemon.clock import SystemClock
from syncwright.daemon.store.db import Store

T = TypeVar("T")


def with_gate(path: Path, body: Callable[[Budget, BudgetGate], Awaitable[T]]) -> T:
    async def main() -> T:
        store = await Store.open(path)
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                try:
                    budget = Budget("shop", [WindowSpec("minute", 100_000)], clock=SystemClock())
                    return await body(budget, BudgetGate(budget, store, max_wait=0.5))
                finally:
                    store.stop_writes()
        finally:
            await store.aclose()

    return anyio.run(main)


def used(budget: Budget) -> float:
    return budget.statistics().windows[0].used


def test_steady_state_paces_itself_and_is_never_throttled(tmp_path: Path) -> None:
    async def body(budget: Budget, gate: BudgetGate) -> None:
        # A small bucket: the work below costs several bucketfuls, so pacing must happen.
        async with running(bucket=Bucket(size=1000, restore_rate=400)) as emu:
            shop = channel(emu, gate=gate)
            products = sample_products("PS", 60)
            assert all(r.ok for r in await shop.upsert_products(products))
            assert len(await shop.read_products([p.external_id for p in products])) == 60
            skus = [v.sku for p in products for v in p.variants if v.sku]
            levels = [StockLevel(sku=s, location="WH", quantity=3) for s in skus]
            assert all(r.ok for r in await shop.set_stock(levels))
            stats = shop.t.stats()
            await shop.aclose()
            assert emu.stats.throttled == 0
            assert stats.throttled == 0
            assert stats.paced_seconds > 0.5  # it waited for the bucket instead
            assert emu.stats.requested > 1000 * 2
            # The budget was charged in cost points, reconciled to the actual cost.
            assert used(budget) == pytest.approx(emu.stats.actual)
            assert used(budget) > stats.calls * 5

    with_gate(tmp_path / "state.db", body)


def test_forced_throttling_recovers_without_losing_work(tmp_path: Path) -> None:
    async def body(budget: Budget, gate: BudgetGate) -> None:
        async with running(bucket=Bucket(size=2000, restore_rate=200)) as emu:
            shop = channel(emu, gate=gate)
            products = sample_products("FT", 12)
            emu.bucket.available = 0  # another app drained the bucket
            emu.bucket.stamp = emu.bucket.clock()
            throttled = 0
            todo = list(products)
            with anyio.fail_after(60):
                while todo:
                    try:
                        [result] = await shop.upsert_products(todo[:1])
                    except RateLimitedError as exc:
                        throttled += 1
                        assert exc.retry_after is not None and exc.retry_after > 0
                        await anyio.sleep(exc.retry_after)  # as the daemon's retry would
                        continue
                    assert result.ok
                    todo.pop(0)
            await shop.aclose()
            assert throttled >= 1 and emu.stats.throttled >= 1
            assert budget.statistics().windows[0].limit >= used(budget)
            # Every product exactly once: nothing lost, nothing doubled.
            assert sorted(p["handle"] for p in emu.shop.products.values()) == sorted(
                p.handle for p in products
            )
            # Throttled calls cost nothing at Shopify and nothing in our budget.
            assert used(budget) == pytest.approx(emu.stats.actual)

    with_gate(tmp_path / "state.db", body)


def test_http_429_blocks_the_budget_with_retry_after(tmp_path: Path) -> None:
    async def body(budget: Budget, gate: BudgetGate) -> None:
        async with running() as emu:
            shop = channel(emu, gate=gate)
            emu.faults.update({"throttle_429_rate": 1.0})
            with pytest.raises(RateLimitedError) as caught:
                await shop.get_settings()
            assert caught.value.retry_after == 2.0 and caught.value.status == 429
            stats = budget.statistics()
            assert stats.blocked_until is not None and "429" in (stats.block_reason or "")
            emu.faults.update({"throttle_429_rate": 0.0})
            with pytest.raises(RateLimitedError) as local:  # our budget now says no
                await shop.get_settings()
            assert local.value.local
            await shop.aclose()

    with_gate(tmp_path / "state.db", body)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"error_rate": 1.0}, "failed on the server"),
        ({"drop_rate": 1.0}, "failed"),
        ({"malformed_rate": 1.0}, "not JSON"),
        ({"slow_seconds": 2.0}, "timed out"),
    ],
)
def test_faults_become_transient_errors(fault: dict[str, float], message: str) -> None:
    async def main() -> None:
        async with running() as emu:
            shop = channel(emu, timeout=0.5)
            emu.faults.update(fault)
            with pytest.raises(TransientError, match=message):
                await shop.get_settings()
            emu.faults.update({k: 0.0 for k in fault})
            assert (await shop.get_settings()).currency == "EUR"
            await shop.aclose()

    anyio.run(main)
