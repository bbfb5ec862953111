"""The connector contract suites (connectors/testing*.py) against the real servers."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from typing import Any

import anyio
import pytest
from oscar_shopper import place_order
from test_oscar_connector import shop
from test_tryton_connector import erp as tryton_erp
from tryton_admin import TrytonAdmin

from syncwright.connectors.backoffice_testing import (
    BackOfficeCheckSkipped,
    BackOfficeFixture,
    SeededCustomers,
    SeededProduct,
    check_back_office,
)
from syncwright.connectors.testing import (
    ChannelFixture,
    check_channel_products,
    check_channel_stock_and_orders,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_oscar_products_keep_the_channel_contract(oscar: Any) -> None:
    async def main() -> None:
        channel = shop(oscar)
        try:
            await check_channel_products(channel)
        finally:
            await channel.aclose()

    anyio.run(main)


# 101 checkouts through Oscar's API and its order book read in audit mode: 6-10 minutes here.
@pytest.mark.timeout(1200)
def test_oscar_stock_and_orders_keep_the_channel_contract(oscar: Any) -> None:
    async def place(skus: Sequence[str], count: int, email: str) -> None:
        for n in range(count):
            sku = skus[n % len(skus)]
            await anyio.to_thread.run_sync(partial(place_order, oscar, email, [(sku, 1)]))

    async def main() -> None:
        channel = shop(oscar)
        try:
            fixture = ChannelFixture(location="WH", place_orders=place)
            await check_channel_stock_and_orders(channel, fixture)
        finally:
            await channel.aclose()

    anyio.run(main)


# -- Tryton: the back-office suite (connectors/backoffice_testing.py) ------------------------


def tryton_fixture(admin: TrytonAdmin) -> BackOfficeFixture:
    """Products, stock and parties made over plain JSON-RPC, as a Tryton user would."""
    variants_of: dict[str, int] = {}

    async def seed(count: int) -> list[SeededProduct]:
        def make() -> list[SeededProduct]:
            prices = [Decimal(f"{10 + n % 50}.50") for n in range(count)]
            templates: list[int] = []
            # Small creates: a larger one overflows SQLite's parser stack under Tryton.
            for start in range(0, count, 10):
                templates += admin(
                    "product.template",
                    "create",
                    [
                        {
                            "name": f"Contract product {n}",
                            "type": "goods",
                            "default_uom": admin.unit,
                            "sale_uom": admin.unit,
                            "salable": True,
                            "list_price": prices[n],
                            "products": [
                                ["create", [{"suffix_code": f"BO-{n}-{s}"} for s in "SM"]]
                            ],
                        }
                        for n in range(start, min(start + 10, count))
                    ],
                )
            rows = admin(
                "product.product",
                "search_read",
                [["template", "in", templates]],
                0,
                None,
                [["id", "ASC"]],
                ["code", "template"],
            )
            variants_of.update({r["code"]: r["id"] for r in rows})
            stock = {f"BO-{n}-{s}": n + v + 1 for n in range(count) for v, s in enumerate("SM")}
            skus = sorted(stock)
            for start in range(0, len(skus), 100):
                admin.set_stock({variants_of[s]: stock[s] for s in skus[start : start + 100]})
            return [
                SeededProduct(
                    str(tid),
                    {f"BO-{n}-{s}": prices[n] for s in "SM"},
                    {f"BO-{n}-{s}": stock[f"BO-{n}-{s}"] for s in "SM"},
                )
                for n, tid in enumerate(templates)
            ]

        return await anyio.to_thread.run_sync(make)

    async def edit(product_id: str) -> None:
        await anyio.to_thread.run_sync(
            admin, "product.template", "write", [int(product_id)], {"name": "Edited"}
        )

    async def set_stock(sku: str, quantity: int) -> None:
        await anyio.to_thread.run_sync(admin.set_stock, {variants_of[sku]: quantity})

    async def remove(product_id: str) -> None:
        def deactivate() -> None:
            # Tryton asks to clear the stock of a product before it is deactivated.
            tid = int(product_id)
            variants = admin("product.product", "search", [["template", "=", tid]], 0, None, None)
            admin.set_stock(dict.fromkeys(variants, 0))
            admin("product.template", "write", [tid], {"active": False})

        await anyio.to_thread.run_sync(deactivate)

    async def customers() -> SeededCustomers:
        def make() -> SeededCustomers:
            email = "Shared.Person@example.com"
            ids = admin(
                "party.party",
                "create",
                [
                    {
                        "name": name,
                        "contact_mechanisms": [["create", [{"type": "email", "value": mail}]]],
                    }
                    for name, mail in (
                        ("Sam Shared", email),
                        ("Sam Shared", email.lower()),
                        ("Ann Account", "ann.account@example.com"),
                    )
                ],
            )
            [row] = admin("party.party", "read", [ids[2]], ["code"])
            return SeededCustomers(
                shared_email=email,
                shared_ids=(str(ids[0]), str(ids[1])),
                account_id=row["code"] or None,
                account_customer_id=str(ids[2]),
            )

        return await anyio.to_thread.run_sync(make)

    return BackOfficeFixture(
        location=admin.warehouse_name,
        seed_products=seed,
        edit_product=edit,
        edit_stock=set_stock,
        remove_product=remove,
        seed_customers=customers,
        # Tryton ships its own sales: shipments made on a channel are not recorded there.
        channel_shipments=False,
    )


# 501 templates and 502 sales posted over JSON-RPC.
@pytest.mark.timeout(1200)
def test_tryton_keeps_the_back_office_contract(tryton: Any) -> None:
    admin = TrytonAdmin(tryton)

    async def main() -> list[str]:
        source = tryton_erp(tryton)
        fixture = tryton_fixture(admin)
        try:
            await check_back_office(source, fixture)
        finally:
            await source.aclose()
        return fixture.skipped

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        skipped = anyio.run(main)
    # What Tryton lacks, each skipped and said so; everything else checked.
    assert skipped == [
        "ProductIdLister: the connector does not list product ids",
        "shipments: the back office does not record channel shipments",
    ]
    warned = [str(w.message) for w in caught if issubclass(w.category, BackOfficeCheckSkipped)]
    assert warned == skipped
