"""The back-office contract suite (connectors/backoffice_testing.py) against the Xero emulator
on loopback, with a catalogue and an order book one larger than Xero's largest page (1,000:
the most contacts or invoices one page holds; Items come whole, never paged).

Xero's items are one-variant products (``variants=1``). The emulator's rate limits are lifted
for this run (1,001 invoices at 60 a minute would take 17 minutes); the limits themselves are
tested in test_xero_auth_faults.py and through the daemon."""

from __future__ import annotations

import warnings
from decimal import Decimal
from pathlib import Path

import anyio
import pytest
from xero_support import Running, running

from syncwright.connectors.backoffice_testing import (
    BackOfficeCheckSkipped,
    BackOfficeFixture,
    SeededCustomers,
    SeededProduct,
    check_back_office,
)

pytestmark = pytest.mark.timeout(600)


def xero_fixture(xero: Running) -> BackOfficeFixture:
    books = xero.emulator.books

    async def seed(count: int) -> list[SeededProduct]:
        made: list[SeededProduct] = []
        for n in range(count):
            code = f"BO-{n:05d}"
            price = Decimal(f"{10 + n % 50}.25")
            item = books.put_item(
                {
                    "Code": code,
                    "Name": f"Contract item {n}",
                    "IsTrackedAsInventory": True,
                    "QuantityOnHand": float(n + 1),
                    "SalesDetails": {"UnitPrice": float(price), "AccountCode": "200"},
                }
            )
            made.append(SeededProduct(item["ItemID"], {code: price}, {code: n + 1}))
        return made

    async def edit(product_id: str) -> None:
        books.put_item({"Code": books.items[product_id]["Code"], "Name": "Edited"})

    async def set_stock(sku: str, quantity: int) -> None:
        assert books.set_quantity(sku, quantity) is not None

    async def remove(product_id: str) -> None:
        assert books.delete_item(product_id)

    async def customers() -> SeededCustomers:
        # Xero refuses two contacts of one name, not of one e-mail.
        first = books.put_contact({"Name": "Shared One", "EmailAddress": "shared@example.com"})
        second = books.put_contact({"Name": "Shared Two", "EmailAddress": "Shared@Example.com"})
        trade = books.put_contact({"Name": "Trade Ltd", "AccountNumber": "ACC-42"})
        return SeededCustomers(
            shared_email="shared@example.com",
            shared_ids=(first["ContactID"], second["ContactID"]),
            account_id="ACC-42",
            account_customer_id=trade["ContactID"],
        )

    return BackOfficeFixture(
        location="Main",
        seed_products=seed,
        page_size=1000,
        variants=1,
        edit_product=edit,
        edit_stock=set_stock,
        remove_product=remove,
        seed_customers=customers,
    )


def test_xero_passes_the_back_office_contract(tmp_path: Path) -> None:
    async def main() -> list[str]:
        async with running(tmp_path) as xero:
            xero.emulator.limits.minute = xero.emulator.limits.app_minute = 10**6
            xero.emulator.limits.day = 10**6
            fixture = xero_fixture(xero)
            books = xero.connector()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", BackOfficeCheckSkipped)
                await check_back_office(books, fixture)
            await books.aclose()
            assert len(xero.emulator.books.invoices) == 1002
            return fixture.skipped

    # Xero has no order workflow after the create: the one skip.
    assert anyio.run(main) == ["order workflow: the connector is not an OrderWorkflow"]
