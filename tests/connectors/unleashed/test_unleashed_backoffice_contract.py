"""The shared back-office contract suite (connectors/backoffice_testing.py) against the
Unleashed emulator, catalogue and order book one larger than Unleashed's largest page.

Unleashed products have no variants: each seeded product is one SKU (``variants=1``). Channel
shipments are not recorded by Unleashed (a partial shipment is skipped), so that check is
skipped, visibly, as are the parts Unleashed has no API for."""

from __future__ import annotations

import warnings
from decimal import Decimal
from typing import Any

import anyio
import pytest
from unleashed_support import erp, running

from syncwright.connectors.backoffice_testing import (
    BackOfficeCheckSkipped,
    BackOfficeFixture,
    SeededCustomers,
    SeededProduct,
    check_back_office,
)
from syncwright.connectors.unleashed.wire import derived_guid

pytestmark = pytest.mark.timeout(600)
LOCATION = "Main warehouse"


def fixture_for(emu: Any) -> BackOfficeFixture:
    store = emu.store

    async def seed(count: int) -> list[SeededProduct]:
        made = []
        for n in range(count):
            sku = f"BO-{n:05d}"
            guid = derived_guid("bo", sku)
            price = Decimal(f"{10 + n % 50}.25")
            store.upsert_product(guid, {"ProductCode": sku, "DefaultSellPrice": price})
            store.set_stock(sku, "MAIN", Decimal(n + 1), Decimal(0))
            made.append(SeededProduct(guid, {sku: price}, {sku: n + 1}))
        return made

    async def edit(product_id: str) -> None:
        row = store.products[product_id]
        store.upsert_product(product_id, {**row, "ProductDescription": "Edited"})

    async def set_stock(sku: str, quantity: int) -> None:
        store.set_stock(sku, "MAIN", Decimal(quantity), Decimal(0))

    async def remove(product_id: str) -> None:
        store.obsolete_product(product_id)

    async def customers() -> SeededCustomers:
        for n in (1, 2):
            store.upsert_customer(
                derived_guid("bo", "shared", str(n)),
                {"CustomerCode": f"BO-SHARED-{n}", "Email": "Shared.Buyer@example.com"},
            )
        store.upsert_customer(
            derived_guid("bo", "account"), {"CustomerCode": "ACC-42", "Email": "acc@example.com"}
        )
        return SeededCustomers(
            shared_email="shared.buyer@example.com",
            shared_ids=(derived_guid("bo", "shared", "1"), derived_guid("bo", "shared", "2")),
            account_id="ACC-42",
            account_customer_id=derived_guid("bo", "account"),
        )

    return BackOfficeFixture(
        location=LOCATION,
        seed_products=seed,
        edit_product=edit,
        edit_stock=set_stock,
        remove_product=remove,
        seed_customers=customers,
        variants=1,
        channel_shipments=False,
    )


def test_the_back_office_suite_passes() -> None:
    async def main() -> None:
        async with running() as emu:
            conn = erp(emu)
            fixture = fixture_for(emu)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", BackOfficeCheckSkipped)
                await check_back_office(conn, fixture)
            assert fixture.skipped == [
                "ProductIdLister: the connector does not list product ids",
                "order workflow: the connector is not an OrderWorkflow",
                "shipments: the back office does not record channel shipments",
            ]
            await conn.aclose()

    anyio.run(main)
