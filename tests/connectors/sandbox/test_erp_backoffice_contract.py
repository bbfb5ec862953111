"""The back-office contract suite (connectors/backoffice_testing.py) against the sandbox ERP,
with a catalogue and an order book one larger than its largest page (1,000)."""

from __future__ import annotations

import warnings
from decimal import Decimal
from typing import TYPE_CHECKING

import httpx
import pytest
from sales_helpers import erp_client, run

from syncwright.connectors.backoffice_testing import (
    BackOfficeCheckSkipped,
    BackOfficeFixture,
    SeededCustomers,
    SeededProduct,
    check_back_office,
)
from syncwright.connectors.sandbox.erp.seed_customers import SHARED_EMAIL_IDS

if TYPE_CHECKING:
    from tests.connectors.sandbox.conftest import Sandbox, Start

pytestmark = pytest.mark.timeout(600)


def erp_fixture(erp: Sandbox, admin: httpx.AsyncClient) -> BackOfficeFixture:
    async def seed(count: int) -> list[SeededProduct]:
        made: list[SeededProduct] = []
        levels = []
        for n in range(count):
            skus = [f"BO-{n}-{size}" for size in ("S", "M")]
            prices = {sku: Decimal(f"{10 + n % 50}.{v}5") for v, sku in enumerate(skus)}
            answer = await admin.post(
                "/admin/products",
                json={
                    "title": f"Contract product {n}",
                    "handle": f"bo-contract-{n}",
                    "variants": [{"sku": s, "price": str(p)} for s, p in prices.items()],
                },
            )
            assert answer.status_code == 201, answer.text
            stock = {sku: n + v + 1 for v, sku in enumerate(skus)}
            levels += [{"sku": s, "location": "central", "quantity": q} for s, q in stock.items()]
            made.append(SeededProduct(str(answer.json()["id"]), prices, stock))
        (await admin.put("/admin/stock", json={"levels": levels})).raise_for_status()
        return made

    async def edit(product_id: str) -> None:
        answer = await admin.patch(f"/admin/products/{product_id}", json={"title": "Edited"})
        answer.raise_for_status()

    async def set_stock(sku: str, quantity: int) -> None:
        level = {"sku": sku, "location": "central", "quantity": quantity}
        (await admin.put("/admin/stock", json=level)).raise_for_status()

    async def remove(product_id: str) -> None:
        (await admin.delete(f"/admin/products/{product_id}")).raise_for_status()

    async def customers() -> SeededCustomers:
        first, second = [(await admin.get(f"/api/customers/{n}")).json() for n in SHARED_EMAIL_IDS]
        assert first["email"].lower() == second["email"].lower()
        listing = (await admin.get("/api/customers", params={"limit": 1000})).json()
        b2b = next(c for c in listing["items"] if c.get("accounting_id"))
        return SeededCustomers(
            shared_email=first["email"],
            shared_ids=(str(first["id"]), str(second["id"])),
            account_id=b2b["accounting_id"],
            account_customer_id=str(b2b["id"]),
        )

    return BackOfficeFixture(
        location="central",
        seed_products=seed,
        edit_product=edit,
        edit_stock=set_stock,
        remove_product=remove,
        seed_customers=customers,
    )


def test_sandbox_erp_keeps_the_back_office_contract(start_sandbox: Start) -> None:
    erp = start_sandbox("erp", "--products", "5", "--seed", "3")

    async def main() -> list[str]:
        source = erp_client(erp)
        async with httpx.AsyncClient(
            base_url=erp.url, headers={"Authorization": f"Bearer {erp.key}"}, timeout=30
        ) as admin:
            fixture = erp_fixture(erp, admin)
            try:
                await check_back_office(source, fixture)
            finally:
                await source.aclose()
        return fixture.skipped

    # The sandbox has every part but a workflow (its orders need no steps after the create):
    # that check alone is skipped, and said so.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        skipped = run(main)
    assert skipped == ["order workflow: the connector is not an OrderWorkflow"]
    warned = [str(w.message) for w in caught if issubclass(w.category, BackOfficeCheckSkipped)]
    assert warned == skipped
