"""Helpers of the rest kind's tests: a connector built from an example manifest, and the
back-office contract fixture for the sandbox back office (the keyset example's shape)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from syncwright.connectors.backoffice_testing import (
    BackOfficeFixture,
    SeededCustomers,
    SeededProduct,
)
from syncwright.connectors.base import CallGate, OpenGate, SystemSpec
from syncwright.connectors.rest.settings import RestSettings
from syncwright.connectors.rest.source import RestSource
from syncwright.connectors.rest.writes import build
from syncwright.connectors.sandbox.erp.seed_customers import SHARED_EMAIL_IDS

EXAMPLES = Path(__file__).resolve().parents[3] / "connectors" / "rest" / "examples"


def rest_spec(url: str, manifest: str | dict[str, Any], secret: str) -> SystemSpec[RestSettings]:
    source = str(EXAMPLES / manifest) if isinstance(manifest, str) else manifest
    return SystemSpec(
        name="rest-test",
        kind="rest",
        url=url,
        settings=RestSettings.model_validate({"manifest": source}),
        secrets={"secret": secret},
        timeout=10,
    )


def connector(
    url: str, manifest: str | dict[str, Any], secret: str, gate: CallGate | None = None
) -> RestSource:
    return build(rest_spec(url, manifest, secret), gate or OpenGate())


def erp_fixture(admin: httpx.AsyncClient) -> BackOfficeFixture:
    """The sandbox back office changed through its admin API, behind the connector's back."""

    async def seed(count: int) -> list[SeededProduct]:
        made, levels = [], []
        for n in range(count):
            skus = [f"RK-{n}-A", f"RK-{n}-B"]
            prices = {sku: Decimal(f"{20 + n % 30}.{v}0") for v, sku in enumerate(skus)}
            answer = await admin.post(
                "/admin/products",
                json={
                    "title": f"Keyset product {n}",
                    "handle": f"keyset-{n}",
                    "variants": [{"sku": s, "price": str(p)} for s, p in prices.items()],
                },
            )
            assert answer.status_code == 201, answer.text
            stock = {sku: 2 * n + v + 1 for v, sku in enumerate(skus)}
            levels += [{"sku": s, "location": "central", "quantity": q} for s, q in stock.items()]
            made.append(SeededProduct(str(answer.json()["id"]), prices, stock))
        (await admin.put("/admin/stock", json={"levels": levels})).raise_for_status()
        return made

    async def edit(product_id: str) -> None:
        answer = await admin.patch(f"/admin/products/{product_id}", json={"title": "Changed"})
        answer.raise_for_status()

    async def set_stock(sku: str, quantity: int) -> None:
        level = {"sku": sku, "location": "central", "quantity": quantity}
        (await admin.put("/admin/stock", json=level)).raise_for_status()

    async def remove(product_id: str) -> None:
        (await admin.delete(f"/admin/products/{product_id}")).raise_for_status()

    async def customers() -> SeededCustomers:
        first, second = [(await admin.get(f"/api/customers/{n}")).json() for n in SHARED_EMAIL_IDS]
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
