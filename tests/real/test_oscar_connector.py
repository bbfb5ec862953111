"""The Oscar connector against a real Django Oscar 4.2 + django-oscar-api 3.3 shop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import anyio
import pytest
from oscar_shopper import Admin, place_order

from syncwright.connectors.base import ListQuery, OpenGate, SystemSpec
from syncwright.connectors.errors import AuthError
from syncwright.connectors.model import Product, StockLevel, Variant
from syncwright.connectors.oscar.client import OscarShop, build
from syncwright.connectors.oscar.settings import OscarSettings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
T = TypeVar("T")


def run(func: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(func)


def shop(server: Any, token: str | None = None, **settings: Any) -> OscarShop:
    return build(
        SystemSpec(
            name="oscar",
            kind="oscar",
            url=server.url,
            settings=OscarSettings(**settings),
            secrets={"api_token": token or server.ids["token"]},
        ),
        OpenGate(),
    )


def product(pid: str, title: str, *variants: tuple[str, str, str], status: str = "live") -> Product:
    return Product(
        external_id=pid,
        title=title,
        handle=f"{title.lower()}-{pid}",
        status=status,  # type: ignore[arg-type]
        variants=tuple(
            Variant(external_id=vid, sku=sku, title=title, position=n, price=Decimal(price))
            for n, (vid, sku, price) in enumerate(variants)
        ),
    )


def test_products_are_upserted_and_read_back_identical(oscar: Any) -> None:
    widget = product("1", "Widget", ("11", "SKU-1", "11.50"))
    gadget = product("2", "Gadget", ("21", "SKU-2", "7.25"), ("22", "SKU-2B", "7.25"))

    async def main() -> None:
        client = shop(oscar)
        results = await client.upsert_products([widget, gadget])
        assert all(r.ok for r in results), results
        held = await client.read_products(["1", "2", "3"])
        assert held["1"].content_hash() == widget.content_hash()
        assert held["2"].content_hash() == gadget.content_hash()
        assert "3" not in held
        renamed = widget.model_copy(
            update={
                "title": "Widget",
                "variants": (widget.variants[0].model_copy(update={"price": Decimal("12.00")}),),
            }
        )
        gone = product("2", "Gadget", status="discontinued")
        assert all(r.ok for r in await client.upsert_products([renamed, gone]))
        held = await client.read_products(["1", "2"])
        assert held["1"].variants[0].price == Decimal("12.00")
        assert held["2"].status == "discontinued"
        nosku = product("4", "Thing", ("41", "", "1.00"))
        (refused,) = await client.upsert_products([nosku])
        assert refused.error and "SKU" in refused.error
        await client.aclose()

    run(main)
    admin = Admin(oscar)
    assert len(admin.products()) == 3
    assert admin.record("SKU-1")["price"] == "12.00"
    assert admin.record("SKU-2")["is_public"] is False


def test_stock_counts_oscar_allocations_once(oscar: Any) -> None:
    async def main() -> None:
        client = shop(oscar)
        await client.upsert_products([product("1", "Widget", ("11", "SKU-1", "10.00"))])
        (ok,) = await client.set_stock([StockLevel(sku="SKU-1", location="WH", quantity=10)])
        assert ok.ok
        (other,) = await client.set_stock([StockLevel(sku="SKU-1", location="B", quantity=3)])
        assert other.error and "WH" in other.error
        (missing,) = await client.set_stock([StockLevel(sku="NOPE", location="WH", quantity=3)])
        assert missing.error
        await client.aclose()

    run(main)
    admin = Admin(oscar)
    assert (admin.record("SKU-1")["num_in_stock"], admin.record("SKU-1")["num_allocated"]) == (
        10,
        None,
    )
    place_order(oscar, "jane@example.com", [("SKU-1", 2)])
    assert admin.record("SKU-1")["num_allocated"] == 2

    async def after_order() -> None:
        client = shop(oscar)
        # Oscar sells 10 - 2 = 8 now; the back office, once the order is posted, says 8 too.
        assert [(s.sku, s.quantity) for s in await client.read_stock(["SKU-1"])] == [("SKU-1", 8)]
        await client.set_stock([StockLevel(sku="SKU-1", location="WH", quantity=8)])
        assert [(s.sku, s.quantity) for s in await client.read_stock(["SKU-1"])] == [("SKU-1", 8)]
        await client.aclose()

    run(after_order)
    assert admin.record("SKU-1")["num_in_stock"] == 10  # 8 to sell + 2 allocated: not 6 left


def test_orders_with_lines_and_skus_in_audit_mode(oscar: Any) -> None:
    async def setup() -> None:
        client = shop(oscar)
        await client.upsert_products(
            [
                product("1", "Widget", ("11", "SKU-1", "10.00")),
                product("2", "Gadget", ("21", "SKU-2", "2.50")),
            ]
        )
        await client.set_stock(
            [
                StockLevel(sku="SKU-1", location="WH", quantity=10),
                StockLevel(sku="SKU-2", location="WH", quantity=10),
            ]
        )
        await client.aclose()

    run(setup)
    first = place_order(oscar, "jane@example.com", [("SKU-1", 2), ("SKU-2", 1)])
    second = place_order(oscar, "joe@example.com", [("SKU-2", 4)])

    async def main() -> None:
        client = shop(oscar)
        assert client.capabilities.order_cursor == "none"
        page = await client.list_orders(ListQuery(after=None, limit=1))
        assert [o.external_id for o in page.items] == [first["number"]] and not page.complete
        assert page.last_key is not None
        rest = await client.list_orders(ListQuery(after=page.last_key[1], limit=1))
        assert [o.external_id for o in rest.items] == [second["number"]] and rest.complete
        order = page.items[0]
        assert order.customer.email == "jane@example.com"
        assert (order.customer.first_name, order.customer.last_name) == ("Jane", "Doe")
        assert [(line.sku, line.quantity, line.unit_price) for line in order.lines] == [
            ("SKU-1", 2, Decimal("10.00")),
            ("SKU-2", 1, Decimal("2.50")),
        ]
        assert order.total == Decimal("22.50") and order.currency == "EUR"
        got = await client.get_order(second["number"])
        assert got is not None and got.customer.email == "joe@example.com"
        assert await client.get_order("nope") is None
        await client.aclose()

    run(main)


def test_bad_token_is_an_auth_error(oscar: Any) -> None:
    async def main() -> None:
        client = shop(oscar, token="0" * 40)
        with pytest.raises(AuthError):
            await client.list_orders(ListQuery(after=None, limit=5))
        await client.aclose()

    run(main)


def test_a_catalogue_over_one_page_is_listed_to_the_end(oscar: Any) -> None:
    """Issue 14 item 1: DRF's absolute "next" link lost its query, so every page was page 1."""
    from syncwright.connectors.oscar.api import PAGE

    count = PAGE + 30
    products = [product(str(n), f"Item{n}", (f"{n}1", f"SKU-{n}", "3.00")) for n in range(count)]

    async def main() -> None:
        writer = shop(oscar)
        for start in range(0, count, 50):
            results = await writer.upsert_products(products[start : start + 50])
            assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        await writer.aclose()
        cold = shop(oscar)  # an empty index: the first miss lists the whole catalogue
        with anyio.fail_after(60):
            held = await cold.read_products([p.external_id for p in products])
        assert sorted(held) == sorted(p.external_id for p in products)
        assert cold.catalog.index.listings == 1
        await cold.aclose()

    run(main)
