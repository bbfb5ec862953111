"""Orders in the sandbox shop: placed by its admin or its generator, pulled by change pages."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from harness import wait_until
from sales_helpers import erp_client, product, run, shop_client, stock_the_shop

from syncwright.connectors.base import ChangeQuery, ListQuery, OrderSource
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Order, Product, Variant

if TYPE_CHECKING:
    from tests.connectors.sandbox.conftest import Sandbox, Start

BUYER = {"email": "Lotte.Bos@example.com", "first_name": "Lotte", "last_name": "Bos"}


def place(shop: Sandbox, **body: Any) -> dict[str, Any]:
    with shop.client() as client:
        response = client.post("/admin/orders", json={"customer": BUYER, **body})
    assert response.status_code == 201, response.text
    placed: dict[str, Any] = response.json()
    return placed


def changes(shop: Sandbox, since: str | None = None, limit: int = 100) -> list[Order]:
    async def pull() -> list[Order]:
        source = shop_client(shop)
        assert isinstance(source, OrderSource)
        found: list[Order] = []
        after = None
        while True:
            page = await source.changed_orders(ChangeQuery(since=since, after=after, limit=limit))
            found += page.items
            after = page.last_key
            if page.complete:
                await source.aclose()
                return found

    return run(pull)


def test_an_admin_order_is_priced_from_the_price_list(shop: Sandbox) -> None:
    stock_the_shop(shop, product("1", "A-1", "A-2", price="25.00"))
    placed = place(
        shop,
        lines=[{"sku": "A-1", "quantity": 2}, {"sku": "A-2", "quantity": 1, "unit_price": "20.00"}],
    )
    assert (placed["id"], placed["number"], placed["customer_id"]) == ("so_1", "#1001", "sc_1")
    assert placed["total"] == "70.00" and placed["currency"] == "USD" and placed["b2b"] is False
    assert placed["lines"][0] == {
        "sku": "A-1",
        "title": "Product 1 - V1",
        "quantity": 2,
        "unit_price": "25.00",
    }
    again = place(shop, lines=[{"sku": "A-1", "quantity": 1}], b2b=True)
    assert again["customer_id"] == "sc_1"  # the same e-mail orders as the same account
    with shop.client() as client:
        refused = client.post(
            "/admin/orders", json={"customer": BUYER, "lines": [{"sku": "ZZ", "quantity": 1}]}
        )
        assert refused.status_code == 422
        assert "SKU 'ZZ' in line 1 is not in this shop: give a unit_price" in refused.text
        assert client.get("/admin/stats").json()["orders_placed"] == 2

    [first, second] = changes(shop)
    assert first.external_id == "so_1" and first.total == Decimal("70.00")
    assert first.customer.external_id == "sc_1" and first.customer.email == BUYER["email"]
    assert second.b2b and first.created_at is not None and first.modified_at is not None

    async def look() -> None:
        source = shop_client(shop)
        one = await source.get_order("so_2")
        assert one is not None and one.lines[0].unit_price == Decimal("25.00")
        assert await source.get_order("so_99") is None
        page = await source.list_orders(ListQuery(after=None, limit=1))
        assert [o.external_id for o in page.items] == ["so_1"] and not page.complete
        assert page.last_key is not None
        rest = await source.list_orders(ListQuery(after=page.last_key[1], limit=10))
        assert [o.external_id for o in rest.items] == ["so_2"] and rest.complete
        await source.aclose()

    run(look)


def test_amendments_and_shipments_move_updated_at_and_show_as_changes(shop: Sandbox) -> None:
    stock_the_shop(shop, product("1", "A-1", "A-2"))
    placed = place(shop, lines=[{"sku": "A-1", "quantity": 1}])
    place(shop, lines=[{"sku": "A-2", "quantity": 1}])
    with shop.client() as client:
        client.post("/admin/clock", json={"offset_seconds": 60}).raise_for_status()
        amended = client.patch(
            "/admin/orders/so_1", json={"lines": [{"sku": "A-1", "quantity": 3}]}
        ).json()
        assert amended["updated_at"] > placed["updated_at"] and amended["total"] == "75.00"
    [seen] = changes(shop, since=amended["updated_at"])
    assert seen.external_id == "so_1" and seen.lines[0].quantity == 3 and not seen.shipments

    with shop.client() as client:
        client.post("/admin/clock", json={"offset_seconds": 120}).raise_for_status()
        shipped = client.post(
            "/admin/orders/1/shipments",
            json={"lines": [["A-1", 3]], "carrier": "DHL", "tracking": "JD0001"},
        ).json()
        assert shipped["updated_at"] > amended["updated_at"]
        stray = client.post("/admin/orders/1/shipments", json={"lines": [["A-2", 1]]})
        assert stray.status_code == 422 and "not on order so_1" in stray.text
    [seen] = changes(shop, since=shipped["updated_at"])
    [parcel] = seen.shipments
    assert (parcel.external_id, parcel.lines, parcel.carrier) == ("sf_1", (("A-1", 3),), "DHL")
    assert parcel.shipped_at is not None
    everything = changes(shop, limit=1)
    assert [o.external_id for o in everything] == ["so_2", "so_1"]  # ordered by (updated_at, id)


def test_an_order_naming_a_sku_the_back_office_lacks(erp: Sandbox, shop: Sandbox) -> None:
    """The sale-time path end to end: the order fails to post until the product exists."""
    placed = place(
        shop,
        lines=[
            {"sku": "SW-000001-01", "quantity": 1, "unit_price": "30.00"},
            {"sku": "SHOP-ONLY-1", "quantity": 2, "unit_price": "12.50", "title": "Gift wrap"},
        ],
    )

    async def post() -> None:
        source, target = shop_client(shop), erp_client(erp)
        sale = await source.get_order(placed["id"])
        assert sale is not None and sale.total == Decimal("55.00")
        assert await target.find_customers(email=sale.customer.email, account_id=None) == []
        customer_id = await target.create_customer(sale.customer)
        with pytest.raises(PermanentError) as missing:
            await target.create_order(sale, customer_id=customer_id, channel_ref=sale.external_id)
        assert "unknown SKU 'SHOP-ONLY-1' in line 2" in str(missing.value)
        line = sale.lines[1]
        made = Product(
            external_id="SHOP-ONLY-1",
            title=line.title,
            handle="shop-only-1",
            variants=(Variant(external_id="v", sku=line.sku, price=line.unit_price),),
        )
        await target.create_product(made)
        order_id = await target.create_order(
            sale, customer_id=customer_id, channel_ref=sale.external_id
        )
        assert await target.find_order(sale.external_id) == order_id
        await source.aclose()
        await target.aclose()

    run(post)


def test_the_order_generator_places_orders_while_on(start_sandbox: Start) -> None:
    shop = start_sandbox("shop", "--order-rate", "40", "--seed", "3")
    with shop.client() as client:
        assert client.get("/api/orders").json()["items"] == []  # nothing to sell yet
    stock_the_shop(shop, product("1", "G-1", "G-2", price="10.00"), product("2", "H-1"))
    with shop.client() as client:
        wait_until(
            lambda: len(client.get("/api/orders", params={"limit": 1000}).json()["items"]) >= 30,
            timeout=20,
            message="the generator placed too few orders",
        )
        # Stopped: the answer comes once the tick in flight has placed its orders.
        stopped = client.post("/admin/generator", json={"rate": 0}).json()
        assert stopped["rate"] == 0 and stopped["applied"] >= 30
        orders = client.get("/api/orders", params={"limit": 1000}).json()["items"]
        assert len(orders) == stopped["applied"]
        assert client.get("/admin/stats").json()["generator"]["applied"] == len(orders)
        # /admin/stats counts the generator's orders too (it said 0 while orders poured in).
        assert client.get("/admin/stats").json()["orders_placed"] == len(orders)
    for sale in orders:
        assert {line["sku"] for line in sale["lines"]} <= {"G-1", "G-2", "H-1"}
        assert Decimal(sale["total"]) == sum(
            Decimal(line["unit_price"]) * line["quantity"] for line in sale["lines"]
        )
    buyers = [sale["customer_id"] for sale in orders]
    assert len(set(buyers)) < len(buyers)  # some customers came back
    assert any(sale["b2b"] for sale in orders) and not all(sale["b2b"] for sale in orders)
    assert all(sale["customer"]["email"].endswith("@shopper.example") for sale in orders)
