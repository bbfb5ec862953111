"""Calls of a full and an incremental sync of 1,000 products with 3 variants each at 2
locations, against the minimum BigCommerce's API allows (counted by the emulator per route).

The connector is driven the way the daemon drives it: upserts in its product_batch_size, stock
in its stock_batch_size. BigCommerce has no batch product create, so a full sync is one POST
per new product; everything else is read and written at the platform's largest page or batch.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from bc_support import connector, run, running

from syncwright.connectors.base import ChangeQuery, ListQuery
from syncwright.connectors.bigcommerce.emulator.app import Emulator
from syncwright.connectors.model import Product, StockLevel, Variant

N = 1000


def catalogue() -> list[Product]:
    return [
        Product(
            external_id=str(n),
            title=f"Product {n}",
            handle=f"product-{n}",
            variants=tuple(
                Variant(
                    external_id=f"{n}-{v}",
                    sku=f"SKU-{n}-{v}",
                    position=v,
                    options={"Size": size},
                    price=Decimal(f"{10 + v}.00"),
                )
                for v, size in enumerate(("S", "M", "L"))
            ),
        )
        for n in range(N)
    ]


def since(emu: Emulator) -> Counter[str]:
    return Counter(emu.calls)


@pytest.mark.timeout(600)
def test_full_and_incremental_sync_make_the_minimum_calls() -> None:
    async def main() -> None:
        async with running() as emu:
            emu.store.add_location("North store")
            bc = connector(
                emu,
                location_map={"WH": "Default location", "N": "North store"},
                price_list="Sandbox Price",
            )
            products = catalogue()
            size = bc.capabilities.product_batch_size
            stock_size = bc.capabilities.stock_batch_size
            levels = [
                StockLevel(sku=v.sku or "", location=loc, quantity=n % 7)
                for p in products
                for v in p.variants
                for n, loc in enumerate(("WH", "N"))
            ]

            # Full sync as a channel: the price list made on connect, every product created,
            # every level written.
            await bc.ensure_price_list("Sandbox Price")
            for start in range(0, N, size):
                results = await bc.upsert_products(products[start : start + size])
                assert all(r.ok for r in results)
            for start in range(0, len(levels), stock_size):
                assert all(r.ok for r in await bc.set_stock(levels[start : start + stock_size]))
            full = since(emu)
            assert full == Counter(
                {
                    "GET /v3/pricelists": 1,
                    "POST /v3/pricelists": 1,
                    "GET /v2/store": 1,  # the currency of the price-list records, once
                    "GET /v3/catalog/products": N // 250,  # sku:in look-ups, 250 each
                    "POST /v3/catalog/products": N,  # no batch create on BigCommerce
                    "PUT /v3/pricelists/{id}/records": N // 250,  # 750 prices <= 1,000 a call
                    "GET /v3/inventory/locations": 1,
                    "PUT /v3/inventory/adjustments/absolute": 3,  # 6,000 levels, 2,000 a call
                }
            ), full

            # Incremental: 100 products' dearest variant gets dearer, 100 levels change.
            changed = [
                p.model_copy(
                    update={
                        "variants": (
                            *p.variants[:2],
                            p.variants[2].model_copy(update={"price": Decimal("99.00")}),
                        )
                    }
                )
                for p in products[:100]
            ]
            assert all(r.ok for r in await bc.upsert_products(changed))
            assert all(
                r.ok
                for r in await bc.set_stock(
                    [lv.model_copy(update={"quantity": 50}) for lv in levels[:100]]
                )
            )
            incremental = since(emu) - full
            assert incremental == Counter(
                {
                    "GET /v3/catalog/products": 1,
                    "PUT /v3/catalog/variants": 2,  # 100 variants, 50 a batch
                    "PUT /v3/pricelists/{id}/records": 1,
                    "PUT /v3/inventory/adjustments/absolute": 1,
                }
            ), incremental

            # As a source: the full listing and the inventory, then one change page.
            before = since(emu)
            after = None
            while True:
                page = await bc.list_products(ListQuery(after=after, limit=250))
                if page.complete:
                    break
                after = page.last_key[1] if page.last_key else None
            stock_after = None
            while True:
                spage = await bc.list_stock(ListQuery(after=stock_after, limit=1000))
                if spage.complete:
                    break
                stock_after = spage.resume_key[1] if spage.resume_key else None
            listing = since(emu) - before
            # A page of the daemon's holds at most 1,000 levels: 500 variants at 2 locations.
            assert listing == Counter(
                {"GET /v3/catalog/products": N // 250, "GET /v3/inventory/items": 6 * N // 1000}
            ), listing
            stamp = max(p["date_modified"] for p in emu.store.products.values())
            for pid in list(emu.store.products)[:100]:
                emu.store.products[pid]["date_modified"] = stamp + timedelta(seconds=5)
            before = since(emu)
            token = (stamp + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            page = await bc.changed_products(ChangeQuery(since=token, after=None, limit=250))
            assert len(page.items) == 100 and page.complete
            assert since(emu) - before == Counter({"GET /v3/catalog/products": 1})
            await bc.aclose()

    run(main)
