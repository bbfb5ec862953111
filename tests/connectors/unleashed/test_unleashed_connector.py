"""The Unleashed connector against its emulator: products, stock, customers, orders."""

from __future__ import annotations

from decimal import Decimal

import anyio
import pytest
from unleashed_support import CountingGate, erp, running

from syncwright.connectors.base import AlreadyPosted, ChangeQuery, ListQuery
from syncwright.connectors.model import Customer, Order, OrderLine


def test_products_list_and_change_feed() -> None:
    async def main() -> None:
        async with running(products=5) as emu:
            gate = CountingGate()
            conn = erp(emu, gate)
            page = await conn.list_products(ListQuery(None, 1000))
            assert page.complete and len(page.items) == 5
            assert gate.calls == 1
            product = next(p for p in page.items if p.variants[0].sku == "UL-00001")
            assert product.variants[0].sku == "UL-00001"
            assert product.variants[0].price == Decimal("11.50")
            assert product.variants[0].weight_grams == 250
            changed = await conn.changed_products(ChangeQuery(None, None, 1000))
            assert changed.complete and len(changed.items) == 5
            emu.store.obsolete_product(product.external_id)
            last = changed.last_key
            assert last is not None
            again = await conn.changed_products(ChangeQuery(last[0], None, 1000))
            assert [p.status for p in again.items if p.external_id == product.external_id] == [
                "discontinued"
            ]
            await conn.aclose()

    anyio.run(main)


def test_stock_per_warehouse_and_absent_rows_are_zero() -> None:
    async def main() -> None:
        async with running(products=3) as emu:
            conn = erp(emu)
            levels = await conn.changed_stock(ChangeQuery(None, None, 1000))
            assert levels.complete
            keys = {(lv.sku, lv.location) for lv in levels.items}
            assert ("UL-00001", "Main warehouse") in keys and ("UL-00001", "North store") in keys
            assert not any(lv.sku == "UL-00003" for lv in levels.items)
            got = await conn.get_stock(["UL-00003"])
            assert sorted((lv.location, lv.quantity) for lv in got) == [
                ("Main warehouse", 0),
                ("North store", 0),
            ]
            await conn.aclose()

    anyio.run(main)


def test_order_posted_once_under_retry() -> None:
    async def main() -> None:
        async with running(products=2, customers=1) as emu:
            conn = erp(emu)
            found = await conn.find_customers(email="BUYER1@example.com", account_id=None)
            assert len(found) == 1
            order = Order(
                external_id="1001",
                number="#1001",
                customer=Customer(external_id="c1", email="buyer1@example.com"),
                lines=(OrderLine(sku="UL-00001", quantity=2, unit_price=Decimal("11.50")),),
                currency="NZD",
                total=Decimal("23.00"),
            )
            assert await conn.find_order("1001") is None
            first = await conn.create_order(
                order, customer_id=found[0].external_id, channel_ref="1001"
            )
            with pytest.raises(AlreadyPosted) as info:
                await conn.create_order(order, customer_id=found[0].external_id, channel_ref="1001")
            assert info.value.existing_id == first
            assert len(emu.store.orders) == 1
            assert await conn.find_order("1001") == first
            settings = await conn.get_settings()
            assert settings.currency == "NZD"
            await conn.aclose()

    anyio.run(main)
