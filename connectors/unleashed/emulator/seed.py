"""Seed data for the emulator: warehouses, products with prices, stock, a few customers."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from syncwright.connectors.unleashed.emulator.store import Store
from syncwright.connectors.unleashed.wire import derived_guid


def seed(
    store: Store, warehouses: Sequence[Sequence[str]], products: int, customers: int = 0
) -> None:
    for pair in warehouses:
        code, name = (pair[0], pair[1]) if len(pair) > 1 else (pair[0], pair[0])
        store.add_warehouse(code, name)
    codes = sorted(store.warehouses)
    for n in range(1, products + 1):
        code = f"UL-{n:05d}"
        store.upsert_product(
            derived_guid("emulator", "product", code),
            {
                "ProductCode": code,
                "ProductDescription": f"Product {n}",
                "DefaultSellPrice": Decimal(10 + n % 90) + Decimal("0.50"),
                "Weight": Decimal("0.250"),
            },
        )
        # Every third product has had no stock transactions (no StockOnHand row at all).
        if n % 3:
            for index, warehouse in enumerate(codes):
                store.set_stock(code, warehouse, Decimal((n * (index + 3)) % 40), Decimal(n % 2))
    for n in range(1, customers + 1):
        store.upsert_customer(
            derived_guid("emulator", "customer", str(n)),
            {
                "CustomerCode": f"C{n:05d}",
                "CustomerName": f"Customer {n} Ltd",
                "Email": f"buyer{n}@example.com",
                "ContactFirstName": "Buyer",
                "ContactLastName": str(n),
            },
        )
