"""The back-office contract, checked against the Unleashed emulator with catalogues, stock
and order books one larger than Unleashed's largest page (1,000), including a crowd of 1,001
products sharing one modified time (a bulk import), which a time cursor alone cannot page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import anyio
import pytest
from unleashed_support import erp, running

from syncwright.connectors.base import AlreadyPosted, ChangeQuery, ListQuery, Page
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Customer, Order, OrderLine, Shipment
from syncwright.connectors.unleashed.connector import UnleashedErp
from syncwright.connectors.unleashed.wire import derived_guid

SIZE = 1000


async def listing(read: Callable[[ListQuery], Awaitable[Page[Any]]]) -> list[Any]:
    items: list[Any] = []
    after = None
    for _ in range(20):
        page = await read(ListQuery(after, SIZE))
        assert len(page.items) <= SIZE
        items += page.items
        if page.complete:
            return items
        assert page.resume_key is not None
        after = page.resume_key[1]
    raise AssertionError("the listing never completes")


async def changes(
    read: Callable[[ChangeQuery], Awaitable[Page[Any]]], since: str | None
) -> tuple[list[Any], list[tuple[str, str]]]:
    items: list[Any] = []
    keys: list[tuple[str, str]] = []
    after = None
    for _ in range(20):
        page = await read(ChangeQuery(since, after, SIZE))
        items += page.items
        if page.last_key is not None:
            assert not keys or page.last_key > keys[-1], "a page key went backwards"
            keys.append(page.last_key)
        if page.complete:
            return items, keys
        after = page.resume_key
        assert after is not None
    raise AssertionError("the change pass never completes")


def run(body: Callable[[Any, UnleashedErp], Awaitable[None]], **options: Any) -> None:
    async def main() -> None:
        async with running(**options) as emu:
            conn = erp(emu)
            try:
                await body(emu, conn)
            finally:
                await conn.aclose()

    anyio.run(main)


def test_catalogue_and_stock_over_a_page() -> None:
    async def body(emu: Any, conn: UnleashedErp) -> None:
        products = await listing(conn.list_products)
        ids = [p.external_id for p in products]
        assert len(ids) == len(set(ids)) == SIZE + 1
        levels = await listing(conn.list_stock)
        keys = [(lv.sku, lv.location) for lv in levels]
        assert len(keys) == len(set(keys)) == len(emu.store.stock)
        stored = emu.store.stock[(derived_guid("emulator", "product", "UL-00002"), "NORTH")]
        want = int(stored["QtyOnHand"] - stored["AllocatedQty"])
        assert {(lv.sku, lv.location): lv.quantity for lv in levels}[
            ("UL-00002", "North store")
        ] == want
        changed, _ = await changes(conn.changed_products, None)
        assert sorted(p.external_id for p in changed) == sorted(ids)
        stock_changed, _ = await changes(conn.changed_stock, None)
        assert sorted((s.sku, s.location) for s in stock_changed) == sorted(keys)

    run(body, products=SIZE + 1)


def test_a_crowd_of_equal_times_larger_than_a_page_is_paged_whole() -> None:
    async def body(emu: Any, conn: UnleashedErp) -> None:
        items, _ = await changes(conn.changed_products, None)
        assert len({p.external_id for p in items}) == SIZE + 1
        levels, _ = await changes(conn.changed_stock, None)
        assert len({(s.sku, s.location) for s in levels}) == len(emu.store.stock)

    async def crowd(emu: Any, conn: UnleashedErp) -> None:
        emu.clock.fixed = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
        await body(emu, conn)

    async def setup() -> None:
        async with running() as emu:
            emu.clock.fixed = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
            from syncwright.connectors.unleashed.emulator.seed import seed

            seed(emu.store, (), SIZE + 1)
            conn = erp(emu)
            await body(emu, conn)
            await conn.aclose()

    anyio.run(setup)


def test_since_is_inclusive_and_later_edits_are_found() -> None:
    async def body(emu: Any, conn: UnleashedErp) -> None:
        items, keys = await changes(conn.changed_products, None)
        last_token, last_id = keys[-1]
        again, _ = await changes(conn.changed_products, last_token)
        assert last_id in {p.external_id for p in again}
        emu.clock.offset += timedelta(seconds=3)
        emu.store.upsert_product(
            derived_guid("emulator", "product", "UL-00007"),
            {"ProductCode": "UL-00007", "ProductDescription": "Renamed"},
        )
        later, _ = await changes(conn.changed_products, last_token)
        assert "Renamed" in {p.title for p in later}
        everything, _ = await changes(conn.changed_products, None)
        assert len({p.external_id for p in everything}) == len(items)

    run(body, products=30)


def test_lookups_and_removal() -> None:
    async def body(emu: Any, conn: UnleashedErp) -> None:
        listed = {p.variants[0].sku: p for p in await listing(conn.list_products)}
        by_sku = await conn.get_product("UL-00004")
        assert by_sku is not None and by_sku == listed["UL-00004"]
        by_id = await conn.get_product(by_sku.external_id)
        assert by_id == by_sku
        assert await conn.get_product("NOPE-1") is None
        assert await conn.get_product(derived_guid("x", "nothing")) is None
        levels = await conn.get_stock(["UL-00004", "NOPE-1"])
        assert {lv.sku for lv in levels} == {"UL-00004"}
        emu.store.obsolete_product(by_sku.external_id)
        gone = await conn.get_product("UL-00004")
        assert gone is not None and gone.status == "discontinued"
        relisted = {p.variants[0].sku: p for p in await listing(conn.list_products)}
        assert relisted["UL-00004"].status == "discontinued"

    run(body, products=12)


def test_customers_shared_email_account_id_and_create() -> None:
    async def body(emu: Any, conn: UnleashedErp) -> None:
        emu.store.upsert_customer(
            derived_guid("t", "dup"), {"CustomerCode": "DUP", "Email": "Buyer1@Example.com"}
        )
        both = await conn.find_customers(email="BUYER1@example.com", account_id=None)
        assert len(both) == 2
        coded = await conn.find_customers(email=None, account_id="C00001")
        assert [c.accounting_id for c in coded] == ["C00001"]
        new = Customer(external_id="shop-9", email="new@example.com", first_name="Nia")
        made = await conn.create_customer(new)
        found = await conn.find_customers(email="new@example.com", account_id=None)
        assert [c.external_id for c in found] == [made]
        assert await conn.get_customer(made) is not None
        # Without a channel id, the e-mail keys the GUID: two new customers never share one.
        one = await conn.create_customer(Customer(external_id="", email="a@example.com"))
        two = await conn.create_customer(Customer(external_id="", email="b@example.com"))
        assert one != two
        listed = await listing(conn.list_customers)
        assert len(listed) == SIZE + 5

    run(body, customers=SIZE + 1)


def test_orders_book_over_a_page_once_each_amend_ship() -> None:
    async def body(emu: Any, conn: UnleashedErp) -> None:
        customer = (await conn.find_customers(email="buyer1@example.com", account_id=None))[0]

        def order(ref: str, quantity: int = 1) -> Order:
            return Order(
                external_id=ref,
                customer=Customer(external_id="c", email="buyer1@example.com"),
                lines=(OrderLine(sku="UL-00001", quantity=quantity, unit_price=Decimal("11.50")),),
                currency="NZD",
                total=Decimal("11.50") * quantity,
            )

        refs = [f"shop:{n}" for n in range(SIZE + 1)]
        posted = {}
        for ref in refs:
            assert await conn.find_order(ref) is None
            posted[ref] = await conn.create_order(
                order(ref), customer_id=customer.external_id, channel_ref=ref
            )
        for ref in refs[:: SIZE // 4]:
            assert await conn.find_order(ref) == posted[ref]
        with pytest.raises(AlreadyPosted):
            await conn.create_order(
                order(refs[0]), customer_id=customer.external_id, channel_ref=refs[0]
            )
        first = posted[refs[0]]
        await conn.amend_order(first, order(refs[0], quantity=3))
        held = emu.store.orders[first]
        assert held["SalesOrderLines"][0]["OrderQuantity"] == 3
        assert held["SourceId"] == refs[0]
        assert not await conn.has_shipment(first, "f1")
        await conn.add_shipment(first, Shipment(external_id="f1", lines=(("UL-00001", 3),)))
        assert await conn.has_shipment(first, "f1")
        with pytest.raises(PermanentError, match="Completed"):
            await conn.amend_order(first, order(refs[0], quantity=4))
        assert len(emu.store.orders) == SIZE + 1

    run(body, products=2, customers=1)


def test_two_warehouses_each_with_a_crowd_over_a_page_end_their_pass() -> None:
    async def setup() -> None:
        async with running() as emu:
            emu.clock.fixed = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
            from syncwright.connectors.unleashed.emulator.seed import seed

            seed(emu.store, (("MAIN", "Main"), ("NORTH", "North")), 2000)
            conn = erp(emu)
            levels, _ = await changes(conn.changed_stock, None)
            keys = [(s.sku, s.location) for s in levels]
            assert len(keys) == len(set(keys)) == len(emu.store.stock) > 2 * SIZE
            await conn.aclose()

    anyio.run(setup)
