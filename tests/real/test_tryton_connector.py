"""The Tryton connector against a real Tryton 8.2 server (tests/real/conftest.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import anyio
import pytest
from tryton_admin import TrytonAdmin

from syncwright.connectors.base import AlreadyPosted, ChangeQuery, ListQuery, OpenGate, SystemSpec
from syncwright.connectors.errors import AuthError, PermanentError, TransientError
from syncwright.connectors.model import Address, Customer, Order, OrderLine
from syncwright.connectors.tryton.client import TrytonErp, build
from syncwright.connectors.tryton.rpc import TrytonUserError
from syncwright.connectors.tryton.settings import TrytonSettings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
T = TypeVar("T")


def run(func: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(func)


def erp(server: Any, password: str | None = None, **settings: Any) -> TrytonErp:
    ids = server.ids
    return build(
        SystemSpec(
            name="tryton",
            kind="tryton",
            url=server.url,
            settings=TrytonSettings(database=ids["db"], web_shop="Oscar", **settings),
            secrets={"password": password or ids["password"]},
        ),
        OpenGate(),
    )


def order(ref: str, email: str, *lines: tuple[str, int, str]) -> Order:
    return Order(
        external_id=ref,
        number=ref,
        customer=Customer(external_id="", email=email, first_name="Jane", last_name="Doe"),
        lines=tuple(
            OrderLine(sku=sku, title=sku, quantity=qty, unit_price=Decimal(price))
            for sku, qty, price in lines
        ),
        currency="EUR",
        total=sum((Decimal(p) * q for _, q, p in lines), Decimal(0)),
        shipping_address=Address(line1="Main St 1", city="Amsterdam", postcode="1011AB"),
    )


def test_products_change_pages_and_template_only_changes(tryton: Any) -> None:
    admin = TrytonAdmin(tryton)
    t1, _ = admin.product("Widget", "SKU-1", "11.5")
    t2, gadget_ids = admin.product("Gadget", "SKU-2", "7.25", "SKU-2B")
    t3, _ = admin.product("Gizmo", "SKU-3", "3")

    async def main() -> None:
        client = erp(tryton)
        seen, after, pages = [], None, 0
        while True:
            page = await client.changed_products(ChangeQuery(since=None, after=after, limit=2))
            seen += page.items
            pages += 1
            after = page.last_key
            if page.complete:
                break
        assert pages == 2
        by_id = {p.external_id: p for p in seen}
        assert set(by_id) == {str(t1), str(t2), str(t3)}
        gadget = by_id[str(t2)]
        assert [(v.sku, v.price) for v in gadget.variants] == [
            ("SKU-2", Decimal("7.25")),
            ("SKU-2B", Decimal("7.25")),
        ]
        assert gadget.status == "live" and gadget.title == "Gadget"
        high = after[0] if after else None
        assert high is not None
        # Nothing changed since the high-water mark, except what shares its timestamp.
        again = await client.changed_products(ChangeQuery(since=high, after=None, limit=10))
        assert {p.external_id for p in again.items} <= {str(t3)}
        # A template-only write (a new list price) moves the template, not its variants.
        await anyio.sleep(0.01)
        admin("product.template", "write", [t1], {"list_price": Decimal("12.00")})
        later = await client.changed_products(ChangeQuery(since=high, after=None, limit=10))
        changed = {p.external_id: p for p in later.items}
        assert str(t1) in changed and str(t2) not in changed
        assert changed[str(t1)].variants[0].price == Decimal("12.00")
        # A variant-only write (a new code) moves the variant, and so its template's token.
        after_price = later.last_key
        assert after_price is not None
        admin("product.product", "write", [gadget_ids[1]], {"suffix_code": "SKU-2C"})
        variant_change = await client.changed_products(
            ChangeQuery(since=high, after=after_price, limit=10)
        )
        assert [p.external_id for p in variant_change.items] == [str(t2)]
        assert [v.sku for v in variant_change.items[0].variants] == ["SKU-2", "SKU-2C"]
        # Archiving a template makes it discontinued.
        admin("product.template", "write", [t3], {"active": False})
        listed = await client.list_products(ListQuery(after=None, limit=10))
        assert {p.external_id: p.status for p in listed.items}[str(t3)] == "discontinued"
        assert (await client.get_product("SKU-2C")).external_id == str(t2)  # type: ignore[union-attr]
        assert await client.get_product("NOPE") is None
        await client.aclose()

    run(main)


def test_stock_per_warehouse_and_changes_through_moves(tryton: Any) -> None:
    admin = TrytonAdmin(tryton)
    _, (p1,) = admin.product("Widget", "SKU-1", "10")
    _, (p2,) = admin.product("Gadget", "SKU-2", "10")

    async def main() -> None:
        client = erp(tryton)
        start = await client.changed_stock(ChangeQuery(since=None, after=None, limit=50))
        assert start.items == [] and start.complete
        admin.set_stock({p1: 10, p2: 4})
        page = await client.changed_stock(ChangeQuery(since=None, after=None, limit=50))
        levels = {(lvl.sku, lvl.location): lvl.quantity for lvl in page.items}
        assert levels == {("SKU-1", admin.warehouse_name): 10, ("SKU-2", admin.warehouse_name): 4}
        high = page.last_key
        assert high is not None
        admin.set_stock({p2: 9})
        newer = await client.changed_stock(ChangeQuery(since=high[0], after=high, limit=50))
        assert {lvl.sku: lvl.quantity for lvl in newer.items} == {"SKU-2": 9}
        listed = await client.list_stock(ListQuery(after=None, limit=50))
        assert {lvl.sku: lvl.quantity for lvl in listed.items} == {"SKU-1": 10, "SKU-2": 9}
        got = await client.get_stock(["SKU-1"])
        assert [(lvl.sku, lvl.quantity) for lvl in got] == [("SKU-1", 10)]
        await client.aclose()

    run(main)


def test_customers_by_email_and_created_at_sale_time(tryton: Any) -> None:
    async def main() -> None:
        client = erp(tryton)
        assert await client.find_customers(email="jane_doe@example.com", account_id=None) == []
        new_id = await client.create_customer(
            Customer(
                external_id="",
                email="Jane_Doe@Example.com",
                first_name="Jane",
                last_name="Doe",
                address=Address(line1="Main St 1", city="Utrecht"),
            )
        )
        found = await client.find_customers(email="jane_doe@example.com", account_id=None)
        assert [(c.external_id, c.first_name, c.last_name) for c in found] == [
            (new_id, "Jane", "Doe")
        ]
        # "_" is not a wildcard: a similar address matches nobody.
        assert await client.find_customers(email="janexdoe@example.com", account_id=None) == []
        await client.aclose()

    run(main)


def test_orders_are_posted_once_by_web_id(tryton: Any) -> None:
    admin = TrytonAdmin(tryton)
    _, (p1,) = admin.product("Widget", "SKU-1", "10")
    admin.set_stock({p1: 10})

    async def main() -> None:
        client = erp(tryton)
        party = await client.create_customer(Customer(external_id="", email="a@example.com"))
        posted = order("100001", "a@example.com", ("SKU-1", 2, "10.00"))
        assert await client.find_order("oscar:100001") is None
        sale_id = await client.create_order(posted, customer_id=party, channel_ref="oscar:100001")
        assert await client.find_order("oscar:100001") == sale_id
        with pytest.raises(AlreadyPosted) as dup:
            await client.create_order(posted, customer_id=party, channel_ref="oscar:100001")
        assert dup.value.existing_id == sale_id
        # The create leaves a draft; the workflow goes one step per call from Tryton's state.
        assert admin.sales()[0]["state"] == "draft"
        steps = []
        while (step := await client.advance_order(sale_id)) is not None:
            steps.append((step, admin.sales()[0]["state"]))
        assert steps[:2] == [("quote", "quotation"), ("confirm", "confirmed")] or steps[:2] == [
            ("quote", "quotation"),
            ("confirm", "processing"),
        ]
        assert steps[-1][1] == "processing"
        assert await client.advance_order(sale_id) is None
        assert await client.has_shipment(sale_id, "f1") is False
        # Confirmed and processed: the forecast quantity drops by the order.
        assert [(lvl.sku, lvl.quantity) for lvl in await client.get_stock(["SKU-1"])] == [
            ("SKU-1", 8)
        ]
        # Amending with what the sale holds already is nothing to do (after a crash the
        # daemon cannot know what was posted); a real change of a confirmed sale is refused.
        await client.amend_order(sale_id, posted)
        with pytest.raises(PermanentError, match="allows no amendment"):
            await client.amend_order(
                sale_id, order("100001", "a@example.com", ("SKU-1", 3, "10.00"))
            )
        with pytest.raises(PermanentError, match="SKU 'NOPE'"):
            await client.create_order(
                order("100002", "a@example.com", ("NOPE", 1, "1")),
                customer_id=party,
                channel_ref="oscar:100002",
            )
        await client.aclose()

    run(main)
    sales = admin.sales()
    assert [s["web_id"] for s in sales] == ["oscar:100001"]
    assert sales[0]["state"] == "processing"
    assert admin.sale_lines(sales[0]["id"]) == [("SKU-1", 2.0, Decimal("10.0000"))]


def test_draft_sales_are_amended(tryton: Any) -> None:
    admin = TrytonAdmin(tryton)
    admin.product("Widget", "SKU-1", "10")
    admin.product("Gadget", "SKU-2", "5")

    async def main() -> None:
        client = erp(tryton, confirm_orders=False)
        party = await client.create_customer(Customer(external_id="", email="b@example.com"))
        sale_id = await client.create_order(
            order("7", "b@example.com", ("SKU-1", 1, "10")), customer_id=party, channel_ref="7"
        )
        await client.amend_order(sale_id, order("7", "b@example.com", ("SKU-2", 3, "5")))
        await client.aclose()
        return sale_id

    sale_id = run(main)
    assert admin.sale_lines(int(sale_id)) == [("SKU-2", 3.0, Decimal("5.0000"))]


def test_products_created_at_sale_time_and_settings(tryton: Any) -> None:
    from syncwright.connectors.model import Product, Variant

    async def main() -> None:
        client = erp(tryton)
        template = await client.create_product(
            Product(
                external_id="sale:NEW-1",
                title="New thing",
                handle="new-1",
                variants=(Variant(external_id="NEW-1", sku="NEW-1", price=Decimal("4.5")),),
            )
        )
        got = await client.get_product("NEW-1")
        assert got is not None and got.external_id == template
        assert [(v.sku, v.price) for v in got.variants] == [("NEW-1", Decimal("4.50"))]
        with pytest.raises(TrytonUserError):  # codes are unique among active products
            await client.create_product(got)
        settings = await client.get_settings()
        assert settings.currency == "EUR"
        await client.aclose()

    run(main)


def test_session_relogin_and_errors(tryton: Any) -> None:
    async def main() -> None:
        client = erp(tryton)
        assert (await client.get_settings()).currency == "EUR"
        old = client.rpc._session
        await anyio.to_thread.run_sync(tryton.reset)  # the session table is restored: 401
        assert (await client.get_settings()).currency == "EUR"
        assert client.rpc._session not in (None, old)
        with pytest.raises(PermanentError):
            await client.rpc.model("no.such.model", "search", [], 0, None, None)
        await client.aclose()
        bad = erp(tryton, password="wrong")
        with pytest.raises(AuthError):
            await bad.get_settings()
        await bad.aclose()

    run(main)
    url = tryton.url
    tryton.stop()
    try:
        down = erp(tryton)
        down.rpc._client.base_url = url  # type: ignore[misc]

        async def refused() -> None:
            with pytest.raises(TransientError):
                await down.get_settings()
            await down.aclose()

        run(refused)
    finally:
        tryton.start()


def test_stock_of_each_warehouse_is_read_apart(tryton: Any) -> None:
    admin = TrytonAdmin(tryton)
    _, (p1,) = admin.product("Widget", "SKU-1", "10")
    backup = admin.warehouse("Backup", "B")
    admin.set_stock({p1: 10})
    admin.set_stock({p1: 3}, storage=backup)

    async def main() -> None:
        client = erp(tryton)
        got = {(lvl.sku, lvl.location): lvl.quantity for lvl in await client.get_stock(["SKU-1"])}
        assert got == {("SKU-1", admin.warehouse_name): 10, ("SKU-1", "B"): 3}
        page = await client.changed_stock(ChangeQuery(since=None, after=None, limit=50))
        assert {(lvl.location, lvl.quantity) for lvl in page.items} == {
            (admin.warehouse_name, 10),
            ("B", 3),
        }
        await client.aclose()

    run(main)


def test_on_hand_mode_follows_done_moves_only(tryton: Any) -> None:
    admin = TrytonAdmin(tryton)
    _, (p1,) = admin.product("Widget", "SKU-1", "10")
    admin.set_stock({p1: 10})

    async def main() -> None:
        client = erp(tryton, stock_quantity="on_hand")
        first = await client.changed_stock(ChangeQuery(since=None, after=None, limit=50))
        assert [(lvl.sku, lvl.quantity) for lvl in first.items] == [("SKU-1", 10)]
        assert first.last_key is not None
        party = await client.create_customer(Customer(external_id="", email="c@example.com"))
        sale_id = await client.create_order(
            order("9", "c@example.com", ("SKU-1", 4, "10")), customer_id=party, channel_ref="9"
        )
        while await client.advance_order(sale_id) is not None:
            pass  # quoted, confirmed, processed
        # The sale's shipment moves are planned, not done: on hand stays 10, no change seen.
        later = await client.changed_stock(
            ChangeQuery(since=first.last_key[0], after=first.last_key, limit=50)
        )
        assert later.items == []
        assert [lvl.quantity for lvl in await client.get_stock(["SKU-1"])] == [10]
        forecast = erp(tryton)
        assert [lvl.quantity for lvl in await forecast.get_stock(["SKU-1"])] == [6]
        moved = await forecast.changed_stock(
            ChangeQuery(since=first.last_key[0], after=first.last_key, limit=50)
        )
        assert [(lvl.sku, lvl.quantity) for lvl in moved.items] == [("SKU-1", 6)]
        await forecast.aclose()
        await client.aclose()

    run(main)


def test_a_deleted_template_is_absent_not_an_error(tryton: Any) -> None:
    """Issue 14 item 3: Tryton refuses a whole read when one record is gone."""
    admin = TrytonAdmin(tryton)
    gone, _ = admin.product("Gone", "SKU-G", "1.00")
    kept, _ = admin.product("Kept", "SKU-K", "2.00")
    admin("product.template", "delete", [gone])

    async def main() -> None:
        client = erp(tryton)
        assert await client.get_product(str(gone)) is None
        held = await client.catalog.read_templates([gone, kept])
        assert [p.title for p in held] == ["Kept"]
        await client.aclose()

    run(main)
