"""The Tryton back-office connector: products, stock, customers, orders, settings.

Settings: ``spec.settings`` is a TrytonSettings (settings.py: database, user, web shop, which
stock quantity, whether posted sales are confirmed). Secret: ``password``.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from syncwright.connectors.base import (
    CallGate,
    Capabilities,
    ChangeQuery,
    ListQuery,
    Page,
    SystemSpec,
)
from syncwright.connectors.model import (
    Customer,
    Order,
    Product,
    Shipment,
    StockLevel,
    StoreSettings,
)
from syncwright.connectors.tryton.catalog import Catalog
from syncwright.connectors.tryton.rpc import TrytonRpc
from syncwright.connectors.tryton.sales import Sales
from syncwright.connectors.tryton.settings import TrytonSettings


class TrytonErp:
    kind = "tryton"
    capabilities = Capabilities(cursor="time", max_page_size=500, price_list_name="Tryton Price")

    def __init__(
        self,
        spec: SystemSpec[TrytonSettings],
        gate: CallGate,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        settings = spec.settings
        self.name = spec.name
        self.rpc = TrytonRpc(
            spec.url.rstrip("/"),
            settings.database,
            user=settings.user,
            password=spec.secret("password"),
            system=spec.name,
            gate=gate,
            timeout=spec.timeout,
            transport=transport,
        )
        on_hand = settings.stock_quantity == "on_hand"
        self.catalog = Catalog(self.rpc, spec.name, "done" if on_hand else "any")
        self.sales = Sales(self.rpc, spec.name, settings.web_shop, settings.confirm_orders)

    async def aclose(self) -> None:
        await self.rpc.aclose()

    # SourceConnector
    async def changed_products(self, query: ChangeQuery) -> Page[Product]:
        return await self.catalog.changed_products(query)

    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]:
        return await self.catalog.changed_stock(query)

    async def list_products(self, query: ListQuery) -> Page[Product]:
        return await self.catalog.list_products(query)

    async def list_stock(self, query: ListQuery) -> Page[StockLevel]:
        return await self.catalog.list_stock(query)

    async def get_product(self, id_or_sku: str) -> Product | None:
        return await self.catalog.get_product(id_or_sku)

    async def get_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        return await self.catalog.get_stock(skus)

    # CustomerDirectory, CustomerLookup
    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        return await self.sales.find_customers(email=email, account_id=account_id)

    async def create_customer(self, customer: Customer) -> str:
        return await self.sales.create_customer(customer)

    async def get_customer(self, external_id: str) -> Customer | None:
        return await self.sales.get_customer(external_id)

    # OrderTarget
    async def find_order(self, channel_ref: str) -> str | None:
        return await self.sales.find_order(channel_ref)

    async def create_order(self, order: Order, *, customer_id: str, channel_ref: str) -> str:
        return await self.sales.create_order(
            order, customer_id=customer_id, channel_ref=channel_ref
        )

    async def amend_order(self, order_id: str, order: Order) -> None:
        await self.sales.amend_order(order_id, order)

    async def add_shipment(self, order_id: str, shipment: Shipment) -> None:
        await self.sales.add_shipment(order_id, shipment)

    async def advance_order(self, order_id: str) -> str | None:
        return await self.sales.advance_order(order_id)

    async def has_shipment(self, order_id: str, shipment_id: str) -> bool:
        return await self.sales.has_shipment(order_id, shipment_id)

    async def create_product(self, product: Product) -> str:
        return await self.sales.create_product(product)

    # SettingsSource
    async def get_settings(self) -> StoreSettings:
        return await self.sales.get_settings()


def build(spec: SystemSpec[TrytonSettings], gate: CallGate) -> TrytonErp:
    """The ``tryton`` kind's factory (connectors/registry.py)."""
    return TrytonErp(spec, gate)
