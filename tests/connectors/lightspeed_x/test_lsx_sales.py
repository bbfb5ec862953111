"""Orders as X-Series sales (posted once, by a sale id derived from the channel reference),
amendments, fulfilments, sale-time products; errors, the 5-minute window and its headers."""

from __future__ import annotations

from decimal import Decimal
from email.utils import formatdate

import pytest
from lx_support import RecordingGate, connector, run, running

from syncwright.connectors.base import AlreadyPosted
from syncwright.connectors.errors import AuthError, PermanentError, RateLimitedError
from syncwright.connectors.lightspeed_x.emulator.control import seed
from syncwright.connectors.lightspeed_x.emulator.limits import RateLimit
from syncwright.connectors.lightspeed_x.sales import sale_id
from syncwright.connectors.model import Customer, Order, OrderLine, Product, Shipment, Variant


def order(ref: str = "1001", qty: int = 2) -> Order:
    return Order(
        external_id=ref,
        number=f"#{ref}",
        customer=Customer(external_id="c1", email="shopper@example.com"),
        lines=(OrderLine(sku="LX-00000-1", quantity=qty, unit_price=Decimal("12.50")),),
        currency="NZD",
        total=Decimal("25.00"),
    )


def test_an_order_is_posted_once_and_amended_and_fulfilled() -> None:
    async def main() -> None:
        async with running() as emu:
            seed(emu.store, 2, 2)
            lsx = connector(emu)
            try:
                cust = await lsx.create_customer(order().customer)
                assert await lsx.find_order("shop:1001") is None
                sid = await lsx.create_order(order(), customer_id=cust, channel_ref="shop:1001")
                assert sid == sale_id("shop:1001")
                assert await lsx.find_order("shop:1001") == sid
                with pytest.raises(AlreadyPosted) as info:
                    await lsx.create_order(order(), customer_id=cust, channel_ref="shop:1001")
                assert info.value.existing_id == sid
                sale = emu.store.sales[sid]
                assert sale["invoice_number"] == "shop:1001"
                assert sale["customer_id"] == cust
                assert [(x["quantity"], x["price"]) for x in sale["line_items"]] == [(2.0, 12.5)]
                level = emu.store.inventory[
                    (
                        emu.store.by_sku("LX-00000-1")["id"],  # type: ignore[index]
                        next(iter(emu.store.outlets)),
                    )
                ]
                assert level["inventory_level"] == 3
                await lsx.amend_order(sid, order(qty=1))
                assert len(emu.store.sales) == 1
                assert emu.store.sales[sid]["line_items"][0]["quantity"] == 1.0
                assert level["inventory_level"] == 4
                ship = Shipment(external_id="f1")
                assert not await lsx.has_shipment(sid, "f1")
                await lsx.add_shipment(sid, ship)
                assert await lsx.has_shipment(sid, "f1")
                assert emu.store.sales[sid]["status"] == "DISPATCHED_CLOSED"
                # an amendment after the fulfilment changes the lines, not the status
                await lsx.amend_order(sid, order(qty=2))
                assert emu.store.sales[sid]["status"] == "DISPATCHED_CLOSED"
                assert emu.store.sales[sid]["line_items"][0]["quantity"] == 2.0
                await lsx.amend_order(sid, order().model_copy(update={"status": "cancelled"}))
                assert emu.store.sales[sid]["status"] == "VOIDED"
            finally:
                await lsx.aclose()

    run(main)


def test_a_lost_create_answer_never_makes_a_second_sale() -> None:
    async def main() -> None:
        async with running() as emu:
            seed(emu.store, 1, 2)
            emu.faults.lose_sale_answers = 1
            lsx = connector(emu)
            try:
                with pytest.raises(Exception):  # noqa: B017 - the transient 500
                    await lsx.create_order(order(), customer_id="", channel_ref="shop:7")
                # the daemon looks the order up before creating it again
                found = await lsx.find_order("shop:7")
                assert found == sale_id("shop:7")
                assert len(emu.store.sales) == 1
            finally:
                await lsx.aclose()

    run(main)


def test_sale_time_product_and_an_unknown_sku() -> None:
    async def main() -> None:
        async with running() as emu:
            lsx = connector(emu)
            try:
                new = Product(
                    external_id="P9",
                    title="Sale-time",
                    handle="sale-time",
                    variants=(Variant(external_id="V9", sku="NEW-9", price=Decimal("4")),),
                )
                pid = await lsx.create_product(new)
                made = await lsx.get_product("NEW-9")
                assert made is not None and made.external_id == pid
                with pytest.raises(PermanentError, match="SKU GONE is not in X-Series"):
                    await lsx.create_order(
                        order().model_copy(
                            update={
                                "lines": (OrderLine(sku="GONE", quantity=1, unit_price=Decimal(1)),)
                            }
                        ),
                        customer_id="",
                        channel_ref="shop:8",
                    )
                other = connector(emu, sale_register="Nope")
                try:
                    with pytest.raises(PermanentError, match="no register named"):
                        await other.create_order(
                            order().model_copy(
                                update={
                                    "lines": (
                                        OrderLine(sku="NEW-9", quantity=1, unit_price=Decimal(1)),
                                    )
                                }
                            ),
                            customer_id="",
                            channel_ref="shop:9",
                        )
                finally:
                    await other.aclose()
            finally:
                await lsx.aclose()

    run(main)


def test_the_window_its_headers_and_an_http_date_retry_after() -> None:
    clock = [1_800_000_000.0 + 30]  # 30 s into a 5-minute window

    async def main() -> None:
        async with running() as emu:
            emu.limit = RateLimit(registers=1, clock=lambda: clock[0])
            gate = RecordingGate()
            lsx = connector(emu, gate)
            try:
                await lsx.get_settings()
                status, headers = gate.reports[-1]
                assert status == 200
                assert headers["x-ratelimit-limit"] == "350"
                assert headers["x-ratelimit-remaining"] == "349"
                emu.limit.exhaust()
                with pytest.raises(RateLimitedError) as info:
                    await lsx.get_settings()
                status, headers = gate.reports[-1]
                assert status == 429
                assert headers["retry-after"] == formatdate(1_800_000_000.0 + 300, usegmt=True)
                # read against the answer's Date (the real clock here): a date, not seconds
                assert info.value.retry_after is not None
                bad = connector(emu)
                bad.http.http._client.headers["authorization"] = "Bearer wrong"
                with pytest.raises(AuthError):
                    await bad.get_settings()
                await bad.aclose()
            finally:
                await lsx.aclose()

    run(main)
