"""The back-office contract suite (connectors/backoffice_testing.py) against the X-Series
emulator over loopback: a catalogue of product families and an order book one larger than its
largest page (1,000 rows)."""

from __future__ import annotations

import warnings
from decimal import Decimal

import pytest
from lx_support import connector, run, running

from syncwright.connectors.backoffice_testing import (
    BackOfficeCheckSkipped,
    BackOfficeFixture,
    SeededCustomers,
    SeededProduct,
    check_back_office,
)
from syncwright.connectors.lightspeed_x.emulator.app import Emulator

pytestmark = pytest.mark.timeout(600)


def fixture_for(emu: Emulator) -> BackOfficeFixture:
    store = emu.store
    outlet = store.outlet_named("Main Outlet")

    async def seed(count: int) -> list[SeededProduct]:
        made = []
        for n in range(count):
            skus = [f"BO-{n}-{size}" for size in ("S", "M")]
            prices = {sku: Decimal(f"{10 + n % 50}.{v}5") for v, sku in enumerate(skus)}
            stock = {sku: n + v + 1 for v, sku in enumerate(skus)}
            ids = store.add_family(
                f"Contract product {n}",
                [
                    {
                        "sku": s,
                        "options": {"Size": s[-1]},
                        "price": str(prices[s]),
                        "stock": {outlet: stock[s]},
                    }
                    for s in skus
                ],
            )
            made.append(SeededProduct(ids[0], prices, stock))
        return made

    async def edit(product_id: str) -> None:
        # a family's name is every variant's name: X-Series renames them all
        for row in store.family(product_id):
            store.update_product(row["id"], name=f"Edited {row['name']}")

    async def set_stock(sku: str, quantity: int) -> None:
        row = store.by_sku(sku)
        assert row is not None
        store.set_level(row["id"], outlet, quantity)

    async def remove(product_id: str) -> None:
        store.delete_product(product_id)

    async def customers() -> SeededCustomers:
        a = store.add_customer({"first_name": "A", "last_name": "One", "email": "Twin@Example.com"})
        b = store.add_customer({"first_name": "B", "last_name": "Two", "email": "twin@example.com"})
        c = store.add_customer(
            {"first_name": "C", "last_name": "Trade", "email": "c@x.io", "customer_code": "ACC-9"}
        )
        return SeededCustomers(
            shared_email="twin@example.com",
            shared_ids=(a["id"], b["id"]),
            account_id="ACC-9",
            account_customer_id=c["id"],
        )

    return BackOfficeFixture(
        location="Main Outlet",
        seed_products=seed,
        edit_product=edit,
        edit_stock=set_stock,
        remove_product=remove,
        seed_customers=customers,
    )


def test_x_series_keeps_the_back_office_contract() -> None:
    async def main() -> list[str]:
        async with running() as emu:
            # The suite posts an order book over a page (about 3,000 calls): a window that
            # large is a store of 10 registers' hour, not one register's 5 minutes.
            emu.limit.override = 10_000
            source = connector(emu)
            fixture = fixture_for(emu)
            try:
                await check_back_office(source, fixture)
            finally:
                await source.aclose()
            return fixture.skipped

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        skipped = run(main)
    # X-Series sales need no steps after the create: only the workflow check is skipped.
    assert skipped == ["order workflow: the connector is not an OrderWorkflow"]
    warned = [str(w.message) for w in caught if issubclass(w.category, BackOfficeCheckSkipped)]
    assert warned == skipped
