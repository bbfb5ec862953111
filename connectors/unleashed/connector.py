"""The Unleashed back-office connector: products, prices, stock per warehouse, customers,
sales orders and the base currency (see README, "Unleashed").

Settings: ``spec.settings`` is an UnleashedSettings (settings.py). Secrets: ``api_id`` (the
API ID GUID) and ``api_key`` (which signs every request). The monthly call quota belongs in the
system's budget as a calendar month window in UTC.
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
from syncwright.connectors.unleashed.catalog import Catalog
from syncwright.connectors.unleashed.client import UnleashedClient
from syncwright.connectors.unleashed.sales import Sales
from syncwright.connectors.unleashed.settings import UnleashedSettings

MAX_PAGE = 1000


class UnleashedErp:
    kind = "unleashed"
    capabilities = Capabilities(
        cursor="time",
        max_page_size=MAX_PAGE,
        product_batch_size=1,
        webhooks=True,
        price_list_name="Unleashed Price",
    )

    def __init__(
        self,
        spec: SystemSpec[UnleashedSettings],
        gate: CallGate,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        settings = spec.settings
        self.name = spec.name
        self.client = UnleashedClient(
            spec.url.rstrip("/"),
            system=spec.name,
            gate=gate,
            api_id=spec.secret("api_id"),
            api_key=spec.secret("api_key"),
            client_type=settings.client_type,
            quota_status=settings.quota_status,
            timeout=spec.timeout,
            transport=transport,
        )
        self.catalog = Catalog(self.client, settings)
        self.sales = Sales(self.client, settings, self.catalog)

    async def aclose(self) -> None:
        await self.client.aclose()

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

    async def create_product(self, product: Product) -> str:
        return await self.sales.create_product(product)

    # SettingsSource
    async def get_settings(self) -> StoreSettings:
        return await self.sales.get_settings()


def build(spec: SystemSpec[UnleashedSettings], gate: CallGate) -> UnleashedErp:
    """The ``unleashed`` kind's factory (connectors/registry.py)."""
    return UnleashedErp(spec, gate)
