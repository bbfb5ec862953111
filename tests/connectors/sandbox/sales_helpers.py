"""Helpers for the customer, order and settings tests: clients, records, shop set-up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from syncwright.connectors.base import OpenGate, SystemSpec
from syncwright.connectors.model import Address, Customer, Order, OrderLine, Product, Variant
from syncwright.connectors.sandbox.clients.erp import SandboxErp
from syncwright.connectors.sandbox.clients.settings import SandboxErpSettings, SandboxShopSettings
from syncwright.connectors.sandbox.clients.shop import SandboxShop

if TYPE_CHECKING:
    from tests.connectors.sandbox.conftest import Sandbox

T = TypeVar("T")
ADDRESS = Address(line1="Kerkstraat 1", city="Utrecht", postcode="3511 AB", country="NL")


def run(func: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(func)


def spec(url: str, kind: str, key: str = "test-key") -> SystemSpec[Any]:
    settings = SandboxShopSettings() if "shop" in kind else SandboxErpSettings()
    return SystemSpec(
        name=f"test-{kind}",
        kind=kind,
        url=url,
        settings=settings,
        secrets={"api_key": key},
        timeout=10,
    )


def erp_client(erp: Sandbox) -> SandboxErp:
    return SandboxErp(spec(erp.url, "sandbox-erp", erp.key), OpenGate())


def shop_client(shop: Sandbox) -> SandboxShop:
    return SandboxShop(spec(shop.url, "sandbox-shop", shop.key), OpenGate())


def customer(email: str | None = "new.buyer@example.com", **fields: Any) -> Customer:
    return Customer(
        external_id=fields.pop("external_id", "sc_1"),
        email=email,
        first_name=fields.pop("first_name", "New"),
        last_name=fields.pop("last_name", "Buyer"),
        address=fields.pop("address", ADDRESS),
        **fields,
    )


def order(ref: str, *lines: tuple[str | None, int, str], **fields: Any) -> Order:
    """An order as a channel would report it; lines are (sku, quantity, unit price)."""
    built = tuple(
        OrderLine(sku=sku, title=f"Item {sku}", quantity=quantity, unit_price=Decimal(price))
        for sku, quantity, price in lines
    )
    return Order(
        external_id=ref,
        customer=fields.pop("customer", customer()),
        lines=built,
        currency=fields.pop("currency", "EUR"),
        total=fields.pop(
            "total", sum((line.unit_price * line.quantity for line in built), Decimal(0))
        ),
        shipping_address=fields.pop("shipping_address", ADDRESS),
        **fields,
    )


def product(external_id: str, *skus: str, price: str = "25.00") -> Product:
    return Product(
        external_id=external_id,
        title=f"Product {external_id}",
        handle=f"product-{external_id}",
        variants=tuple(
            Variant(
                external_id=f"{external_id}-{n}",
                sku=sku,
                title=f"V{n}",
                position=n,
                price=Decimal(price),
            )
            for n, sku in enumerate(skus, 1)
        ),
    )


def stock_the_shop(shop: Sandbox, *products: Product) -> None:
    async def write() -> None:
        channel = shop_client(shop)
        results = await channel.upsert_products(products)
        assert all(result.ok for result in results), results
        await channel.aclose()

    run(write)
