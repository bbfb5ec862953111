"""The back-office contract suite (connectors/backoffice_testing.py) against the BigCommerce
emulator, BigCommerce as a source: a catalogue one larger than its largest page (250).

Skipped, and said so: shared e-mails (a BigCommerce store holds one customer per e-mail) and
orders posted to it (BigCommerce is a source of orders for a channel, not a target here)."""

from __future__ import annotations

import warnings
from decimal import Decimal

import pytest
from bc_support import connector, run, running

from syncwright.connectors.backoffice_testing import (
    BackOfficeCheckSkipped,
    BackOfficeFixture,
    SeededProduct,
    check_back_office,
)
from syncwright.connectors.bigcommerce.emulator.app import Emulator

pytestmark = pytest.mark.timeout(600)


def fixture(emu: Emulator) -> BackOfficeFixture:
    store = emu.store
    location = 1  # "Default location", mapped to "WH"

    async def seed(count: int) -> list[SeededProduct]:
        made = []
        base = len(store.products)
        for n in range(base, base + count):
            skus = [f"BO-{n}-{size}" for size in ("S", "M")]
            prices = {sku: Decimal(f"{10 + n % 50}.{v}5") for v, sku in enumerate(skus)}
            product = store.create_product(
                {
                    "name": f"Contract product {n}",
                    "sku": f"BOP-{n}",
                    "price": 10,
                    "variants": [
                        {
                            "sku": s,
                            "price": str(p),
                            "option_values": [{"option_display_name": "Size", "label": s}],
                        }
                        for s, p in prices.items()
                    ],
                }
            )
            stock = {sku: n % 7 + v + 1 for v, sku in enumerate(skus)}
            for sku, quantity in stock.items():
                variant = store.by_sku(sku)
                assert variant is not None
                store.set_level(variant["id"], location, quantity)
            made.append(SeededProduct(str(product["id"]), prices, stock))
        return made

    async def edit(product_id: str) -> None:
        store.update_product(int(product_id), {"name": f"Edited {product_id}"})

    async def set_stock(sku: str, quantity: int) -> None:
        variant = store.by_sku(sku)
        assert variant is not None
        store.set_level(variant["id"], location, quantity)

    async def remove(product_id: str) -> None:
        store.delete_product(int(product_id))

    return BackOfficeFixture(
        location="WH",
        seed_products=seed,
        edit_product=edit,
        edit_stock=set_stock,
        remove_product=remove,
    )


def test_bigcommerce_keeps_the_back_office_contract() -> None:
    async def main() -> list[str]:
        async with running() as emu:
            source = connector(emu)
            fx = fixture(emu)
            try:
                await check_back_office(source, fx)
            finally:
                await source.aclose()
            assert emu.rejected == 0
            return fx.skipped

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        skipped = run(main)
    warned = [str(w.message) for w in caught if issubclass(w.category, BackOfficeCheckSkipped)]
    assert warned == skipped
    assert all("customer" in s or "order" in s for s in skipped), skipped
