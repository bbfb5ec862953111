"""The Oscar connector's writes and read-backs cost calls in proportion to the batch, not to
the catalogue: every HTTP request it makes is counted through its transport."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest
from oscar_shopper import Admin

from syncwright.connectors.base import OpenGate, SystemSpec
from syncwright.connectors.model import Product, StockLevel, Variant
from syncwright.connectors.oscar.client import OscarShop
from syncwright.connectors.oscar.settings import OscarSettings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
CATALOGUE = 30  # a real Oscar creates products slowly; the bounds do not depend on N


class Counting(httpx.AsyncBaseTransport):
    """A real loopback transport that records each request as "METHOD /path"."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.calls: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def take(self) -> list[str]:
        taken, self.calls = self.calls, []
        return taken


def counted_shop(server: Any) -> tuple[OscarShop, Counting]:
    counter = Counting()
    spec = SystemSpec(
        name="oscar",
        kind="oscar",
        url=server.url,
        settings=OscarSettings(),
        secrets={"api_token": server.ids["token"]},
    )
    return OscarShop(spec, OpenGate(), transport=counter), counter


def item(n: int, price: str = "5.00", sku: str | None = None) -> Product:
    return Product(
        external_id=str(n),
        title=f"Item {n}",
        handle=f"item-{n}",
        variants=(
            Variant(
                external_id=f"{n}1",
                sku=sku or f"SKU-{n}",
                title=f"Item {n}",
                price=Decimal(price),
            ),
        ),
    )


def listings(calls: list[str]) -> list[str]:
    return [c for c in calls if c == "GET /api/admin/products/"]


def test_one_product_in_a_large_catalogue_costs_a_bounded_number_of_calls(oscar: Any) -> None:
    async def main() -> None:
        filler, _ = counted_shop(oscar)
        results = await filler.upsert_products([item(n) for n in range(CATALOGUE)])
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        await filler.aclose()

        # A fresh connector (as after a restart): nothing known yet.
        shop, counter = counted_shop(oscar)
        (known,) = await shop.upsert_products([item(7, price="6.50")])
        assert known.ok, known.error
        calls = counter.take()
        assert not listings(calls) and len(calls) <= 5, calls

        (new,) = await shop.upsert_products([item(CATALOGUE + 1)])
        assert new.ok, new.error
        calls = counter.take()
        assert calls == ["POST /api/admin/products/"], calls

        held = await shop.read_products(["7", str(CATALOGUE + 1)])
        assert held["7"].variants[0].price == Decimal("6.50")
        assert held[str(CATALOGUE + 1)].variants[0].sku == f"SKU-{CATALOGUE + 1}"
        calls = counter.take()
        assert not listings(calls) and len(calls) == 2, calls

        levels = [StockLevel(sku="SKU-7", location="WH", quantity=4)]
        assert all(r.ok for r in await shop.set_stock(levels))
        assert [(s.sku, s.quantity) for s in await shop.read_stock(["SKU-7"])] == [("SKU-7", 4)]
        calls = counter.take()
        assert not listings(calls) and len(calls) <= 3, calls  # GET + PATCH, then GET

        # A second write of the same product: only the product PATCH (nothing else changed).
        assert (await shop.upsert_products([item(7, price="6.50")]))[0].ok
        calls = counter.take()
        assert len(calls) == 1 and calls[0].startswith("PATCH /api/admin/products/"), calls
        assert shop.catalog.index.listings == 0

        # An id Oscar lacks: one listing to learn the catalogue, then no more until
        # relist_after has passed.
        assert await shop.read_products(["nope"]) == {}
        assert len(listings(counter.take())) == -(-(CATALOGUE + 2) // 100)  # pages of 100
        assert await shop.read_products(["nope", "7"]) == {"7": held["7"]}
        calls = counter.take()
        assert not listings(calls) and len(calls) == 1, calls
        await shop.aclose()

    anyio.run(main)
    assert Admin(oscar).record("SKU-7")["price"] == "6.50"
    assert Admin(oscar).record("SKU-7")["num_in_stock"] == 4


def test_a_product_made_in_oscar_with_the_sku_is_adopted(oscar: Any) -> None:
    admin = Admin(oscar)
    headers = {"Authorization": f"Token {oscar.ids['token']}"}
    with httpx.Client(base_url=oscar.url, headers=headers, timeout=60) as client:
        partners = client.get("/api/admin/partners/").json()
        rows = partners["results"] if isinstance(partners, dict) else partners
        partner = next(p["url"] for p in rows if p["code"] == "main")
        made = client.post(
            "/api/admin/products/",
            json={
                "title": "Made in Oscar",
                "slug": "made-in-oscar",
                "upc": "HAND-1",
                "product_class": "goods",
                "structure": "standalone",
                "stockrecords": [
                    {
                        "partner": partner,
                        "partner_sku": "SKU-3",
                        "price": "1.00",
                        "price_currency": "EUR",
                        "num_in_stock": 2,
                    }
                ],
            },
        )
        assert made.status_code == 201, made.text

    async def main() -> None:
        shop, counter = counted_shop(oscar)
        (result,) = await shop.upsert_products([item(3, price="9.00")])
        assert result.ok, result.error
        assert str(made.json()["id"]) == result.remote_id
        calls = counter.take()
        assert len(listings(calls)) == 1, calls  # the refused POST sends it to the catalogue
        held = await shop.read_products(["3"])
        assert held["3"].variants[0].price == Decimal("9.00")
        await shop.aclose()

    anyio.run(main)
    assert len(admin.products()) == 1
    record = admin.record("SKU-3")
    assert (record["upc"], record["price"], record["title"]) == ("3:31", "9.00", "Item 3")
