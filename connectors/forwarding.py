"""A back office built from two parts, its catalogue (products, stock) and its sales side
(customers, orders, shipments, store settings): the connector methods the daemon calls, each
handed to the part that does the work. Xero, Unleashed and X-Series are built this way; a
connector keeps only what is its own (its client, capabilities, extra methods such as product
ids or a webhook's look-ups, and which part creates a product).

It declares only methods every such back office has, so a capability check
(``isinstance(connector, ProductIdLister)`` and the like) still sees what the connector itself
offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, Protocol, TypeVar

from syncwright.connectors.base import ChangeQuery, ListQuery, Page
from syncwright.connectors.model import (
    Customer,
    Order,
    Product,
    Shipment,
    StockLevel,
    StoreSettings,
)


class CatalogPart(Protocol):
    async def changed_products(self, query: ChangeQuery) -> Page[Product]: ...
    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]: ...
    async def list_products(self, query: ListQuery) -> Page[Product]: ...
    async def list_stock(self, query: ListQuery) -> Page[StockLevel]: ...
    async def get_product(self, id_or_sku: str) -> Product | None: ...
    async def get_stock(self, skus: Sequence[str]) -> list[StockLevel]: ...


class SalesPart(Protocol):
    async def changed_customers(self, query: ChangeQuery) -> Page[Customer]: ...
    async def list_customers(self, query: ListQuery) -> Page[Customer]: ...
    async def find_customers(
        self, *, email: str | None, account_id: str | None
    ) -> list[Customer]: ...
    async def create_customer(self, customer: Customer) -> str: ...
    async def get_customer(self, external_id: str) -> Customer | None: ...
    async def find_order(self, channel_ref: str) -> str | None: ...
    async def create_order(self, order: Order, *, customer_id: str, channel_ref: str) -> str: ...
    async def amend_order(self, order_id: str, order: Order) -> None: ...
    async def add_shipment(self, order_id: str, shipment: Shipment) -> None: ...
    async def has_shipment(self, order_id: str, shipment_id: str) -> bool: ...
    async def get_settings(self) -> StoreSettings: ...


C = TypeVar("C", bound=CatalogPart)
S = TypeVar("S", bound=SalesPart)


class CatalogAndSales(Generic[C, S]):
    """Set ``catalog`` and ``sales`` in ``__init__``."""

    catalog: C
    sales: S

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

    # CustomerSource, CustomerDirectory, CustomerLookup
    async def changed_customers(self, query: ChangeQuery) -> Page[Customer]:
        return await self.sales.changed_customers(query)

    async def list_customers(self, query: ListQuery) -> Page[Customer]:
        return await self.sales.list_customers(query)

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        return await self.sales.find_customers(email=email, account_id=account_id)

    async def create_customer(self, customer: Customer) -> str:
        return await self.sales.create_customer(customer)

    async def get_customer(self, external_id: str) -> Customer | None:
        return await self.sales.get_customer(external_id)

    # OrderTarget, ShipmentLookup
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

    async def has_shipment(self, order_id: str, shipment_id: str) -> bool:
        return await self.sales.has_shipment(order_id, shipment_id)

    # SettingsSource
    async def get_settings(self) -> StoreSettings:
        return await self.sales.get_settings()
