"""Oscar's syncwright_extra attribute on a real shop: updates travel, a missing one is named."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest
from test_oscar_connector import shop

from syncwright.connectors.model import Product, Variant

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _product(weight: int, size: str) -> Product:
    return Product(
        external_id="X1",
        title="Jacket",
        handle="jacket",
        variants=(
            Variant(
                external_id="X1-a",
                sku="X1-A",
                title=f"Jacket {size}",
                options={"Size": size},
                weight_grams=weight,
                price=Decimal("80.00"),
            ),
        ),
    )


def test_a_change_only_oscar_cannot_hold_is_written_and_read_back(oscar: Any) -> None:
    async def main() -> None:
        client = shop(oscar)
        try:
            first = _product(900, "M")
            assert all(r.ok for r in await client.upsert_products([first]))
            changed = _product(950, "L")
            assert changed.content_hash() != first.content_hash()
            assert all(r.ok for r in await client.upsert_products([changed]))
            held = await client.read_products(["X1"])
            assert held["X1"].content_hash() == changed.content_hash(), held["X1"]
        finally:
            await client.aclose()

    anyio.run(main)


def test_a_product_class_without_the_attribute_is_refused_by_name(oscar: Any) -> None:
    created = httpx.post(
        f"{oscar.url}/api/admin/productclasses/",
        headers={"Authorization": f"Token {oscar.ids['token']}"},
        json={"name": "Plain", "slug": "plain", "requires_shipping": True, "track_stock": True},
        timeout=30,
    )
    assert created.status_code == 201, created.text

    async def main() -> None:
        client = shop(oscar, product_class="plain")
        try:
            (result,) = await client.upsert_products([_product(900, "M")])
            assert not result.ok
            assert result.error and "syncwright_extra" in result.error, result.error
            # and again once the product exists (now an update, not a creation)
            (again,) = await client.upsert_products([_product(900, "M")])
            assert again.error and "syncwright_extra" in again.error, again.error
        finally:
            await client.aclose()

    anyio.run(main)
