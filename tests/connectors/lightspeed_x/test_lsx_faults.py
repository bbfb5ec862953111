"""Every fault switch of the X-Series emulator, during a full sync and during order posting:
retried as the daemon retries (transient, unreadable and rate-limited answers), the result is
the fault-free one: nothing lost, nothing twice, one sale per order."""

from __future__ import annotations

from typing import Any

import pytest
from lx_support import connector, drain, run, running
from test_lsx_sales import order

from syncwright.connectors.errors import ConnectorError, PayloadError, RateLimitedError
from syncwright.connectors.lightspeed_x.connector import LightspeedX
from syncwright.connectors.lightspeed_x.emulator.control import seed
from syncwright.connectors.lightspeed_x.emulator.limits import RateLimit
from syncwright.connectors.lightspeed_x.sales import sale_id

FAULTS: list[dict[str, Any]] = [
    {"error_rate": 0.3},
    {"drop_rate": 0.3},
    {"malformed_rate": 0.3},
    {"truncated_rate": 0.3},
    {"throttle_429_rate": 0.3},
]


async def full_sync(lsx: LightspeedX) -> tuple[dict[str, str], dict[tuple[str, str], int]]:
    products, _ = await drain(lsx.changed_products, limit=40, retries=30)
    levels, _ = await drain(lsx.changed_stock, limit=40, retries=30)
    by_id = {p.external_id: p.content_hash() for p in products}
    assert len(by_id) == len(products), "a family came twice in one pass"
    return by_id, {lv.key: lv.quantity for lv in levels}


async def post_until_done(lsx: LightspeedX, ref: str) -> str:
    """What the daemon's order job does across retries: look up, then create."""
    for _ in range(60):
        try:
            found = await lsx.find_order(ref)
            if found is not None:
                return found
            return await lsx.create_order(order(ref), customer_id="", channel_ref=ref)
        except ConnectorError:
            continue
    raise AssertionError(f"order {ref} never posted")


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: next(iter(f)))
def test_faults_lose_nothing_and_post_nothing_twice(fault: dict[str, Any]) -> None:
    async def main() -> None:
        async with running() as emu:
            seed(emu.store, 60, 2, outlets=2)
            clean = connector(emu)
            try:
                want = await full_sync(clean)
            finally:
                await clean.aclose()
            emu.faults.update(fault)
            lsx = connector(emu)
            try:
                assert await full_sync(lsx) == want
                refs = [f"shop:{n}" for n in range(8)]
                for ref in refs:
                    assert await post_until_done(lsx, ref) == sale_id(ref)
                emu.faults.lose_sale_answers = 2
                assert await post_until_done(lsx, "shop:lost") == sale_id("shop:lost")
            finally:
                await lsx.aclose()
            invoices = sorted(s["invoice_number"] for s in emu.store.sales.values())
            assert invoices == sorted([*refs, "shop:lost"])
            assert emu.limit.refused == 0

    run(main)


def test_timeouts_then_recovery() -> None:
    async def main() -> None:
        async with running() as emu:
            seed(emu.store, 5, 2)
            lsx = connector(emu, timeout=0.2)
            try:
                emu.faults.update({"slow_seconds": 0.5})
                with pytest.raises(ConnectorError, match="timed out"):
                    await lsx.create_order(order("t"), customer_id="", channel_ref="shop:t")
                emu.faults.update({"slow_seconds": 0})
                assert await post_until_done(lsx, "shop:t") == sale_id("shop:t")
                assert len(emu.store.sales) == 1
                products, _ = await drain(lsx.changed_products)
                assert len(products) == 5
            finally:
                await lsx.aclose()

    run(main)


def test_an_exhausted_window_waits_for_the_next() -> None:
    clock = [1_800_000_000.0]

    async def main() -> None:
        async with running() as emu:
            emu.limit = RateLimit(registers=1, clock=lambda: clock[0])
            seed(emu.store, 5, 2)
            lsx = connector(emu)
            try:
                emu.limit.exhaust()
                with pytest.raises(RateLimitedError) as info:
                    await drain(lsx.changed_products)
                assert info.value.status == 429 and info.value.retry_after is not None
                clock[0] += 300  # the next 5-minute window
                products, _ = await drain(lsx.changed_products)
                assert len(products) == 5
                assert emu.limit.refused == 1
            finally:
                await lsx.aclose()

    run(main)


@pytest.mark.parametrize(
    "damage",
    [
        lambda row: row.pop("id"),
        lambda row: row.update(version=row["version"] + 0.5),
        lambda row: row.update(id=7),
    ],
    ids=["no id", "version not an integer", "id as number"],
)
def test_a_strange_row_is_a_payload_error(damage: Any) -> None:
    async def main() -> None:
        async with running() as emu:
            seed(emu.store, 3, 2)
            damage(next(iter(emu.store.products.values())))
            lsx = connector(emu)
            try:
                with pytest.raises(PayloadError):
                    await drain(lsx.changed_products)
            finally:
                await lsx.aclose()

    run(main)
