"""The monthly quota through the daemon's own budget (a calendar month window in UTC, the
default reserves, a fake clock): a full sync stops at its reserve, orders still post, and
everything resumes after the 1st, without Unleashed ever having to refuse a call."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import anyio
import pytest
from unleashed_support import erp, running

from syncwright.connectors.base import ListQuery
from syncwright.connectors.errors import RateLimitedError
from syncwright.connectors.model import Customer, Order, OrderLine
from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.gate import BudgetGate, current_class
from syncwright.daemon.budget.windows import WindowSpec
from syncwright.daemon.clock import FakeClock
from syncwright.daemon.store.db import Store

LIMIT = 100
FULL, SALE = 4, 0
MARCH_30 = datetime(2026, 3, 30, 12, tzinfo=UTC)
APRIL_1 = datetime(2026, 4, 1, 0, 0, 1, tzinfo=UTC)


def test_full_sync_stops_at_its_reserve_orders_post_and_the_first_resets(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        store = await Store.open(tmp_path / "state.db")
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                try:
                    await body(store)
                finally:
                    store.stop_writes()
        finally:
            await store.aclose()

    async def body(store: Store) -> None:
        clock = FakeClock(MARCH_30.timestamp())
        budget = Budget("unleashed", [WindowSpec("month", LIMIT, "calendar", "UTC")], clock=clock)
        gate = BudgetGate(budget, store, max_wait=0.0)
        async with running(products=3, customers=1, quota=LIMIT) as emu:
            emu.clock.fixed = MARCH_30
            conn = erp(emu, gate)
            current_class.set(FULL)
            spent = 0
            with pytest.raises(RateLimitedError) as info:
                for _ in range(LIMIT + 1):
                    await conn.list_products(ListQuery(None, 1000))
                    spent += 1
            assert info.value.local  # our budget said no; Unleashed never refused
            assert spent == LIMIT - LIMIT * 0.30  # the full class's reserve is left
            assert emu.stats.refused_quota == 0
            current_class.set(SALE)
            customer = (await conn.find_customers(email="buyer1@example.com", account_id=None))[0]
            order = Order(
                external_id="shop:1",
                customer=Customer(external_id="c", email="buyer1@example.com"),
                lines=(OrderLine(sku="UL-00001", quantity=1, unit_price=Decimal("11.50")),),
                currency="NZD",
                total=Decimal("11.50"),
            )
            assert await conn.find_order("shop:1") is None
            await conn.create_order(order, customer_id=customer.external_id, channel_ref="shop:1")
            assert len(emu.store.orders) == 1
            # The 1st of the month: the budget's window and Unleashed's quota both start again.
            clock.set(APRIL_1.timestamp())
            emu.clock.fixed = APRIL_1
            current_class.set(FULL)
            assert (await conn.list_products(ListQuery(None, 1000))).items
            await conn.aclose()

    anyio.run(main)


def test_the_planner_warns_at_90_percent_of_the_month_and_says_when_it_resets() -> None:
    import tomllib

    from syncwright.daemon.config.load import parse_config
    from syncwright.daemon.ops.planner import plan

    cfg = parse_config(
        tomllib.loads(
            """
            [systems.unleashed]
            kind = "unleashed"
            url = "http://127.0.0.1:1"
            credentials = { api_id = { env = "I" }, api_key = { env = "K" } }
            [systems.unleashed.budget.windows.month]
            limit = 15000
            mode = "calendar"
            [systems.shop]
            kind = "sandbox-shop"
            url = "http://127.0.0.1:2"
            credentials = { api_key = { env = "K" } }
            [connections.demo]
            source = "unleashed"
            channel = "shop"
            flows = ["products"]
            [connections.demo.schedule]
            recent = "1h"
            """
        )
    )
    now = MARCH_30.timestamp()
    reset = APRIL_1.timestamp()
    calm = plan(
        cfg, [], now, used={"unleashed": {"month": 13000}}, resets={"unleashed": {"month": reset}}
    )
    assert not [w for w in calm.warnings if "%" in w]
    report = plan(
        cfg, [], now, used={"unleashed": {"month": 13600}}, resets={"unleashed": {"month": reset}}
    )
    (warning,) = [w for w in report.warnings if "%" in w]
    assert "month window is at 91 %" in warning and "2026-04-01" in warning
