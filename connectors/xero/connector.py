"""The Xero back-office connector: items, stock, contacts, invoices and the organisation.

Settings: ``spec.settings`` is a XeroSettings (settings.py). Secrets: ``client_id``,
``client_secret`` (the OAuth app) and ``webhook_key`` (signs Xero's webhook deliveries).
``spec.url`` is the Accounting API's base, ``https://api.xero.com/api.xro/2.0``.
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
from syncwright.connectors.xero.auth import Tokens
from syncwright.connectors.xero.catalog import Catalog
from syncwright.connectors.xero.sales import Sales
from syncwright.connectors.xero.settings import XeroSettings
from syncwright.connectors.xero.transport import XeroHttp


class XeroBooks:
    kind = "xero"
    # Items come whole in one answer, so a page may be as large as the catalogue.
    capabilities = Capabilities(
        cursor="time", max_page_size=1000, webhooks=True, price_list_name="Xero Price"
    )

    def __init__(
        self,
        spec: SystemSpec[XeroSettings],
        gate: CallGate,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        settings = spec.settings
        self.name = spec.name
        self.tokens = Tokens(
            settings.token_url,
            client_id=spec.secret("client_id"),
            client_secret=spec.secret("client_secret"),
            grant=settings.grant,
            token_file=settings.token_file,
            system=spec.name,
            timeout=spec.timeout,
            transport=transport,
        )
        self.http = XeroHttp(
            spec.url.rstrip("/"),
            system=spec.name,
            tokens=self.tokens,
            tenant_id=settings.tenant_id,
            gate=gate,
            timeout=spec.timeout,
            transport=transport,
        )
        self.catalog = Catalog(self.http, spec.name, settings.location, settings.sales_account_code)
        self.sales = Sales(
            self.http,
            spec.name,
            tenant_id=settings.tenant_id,
            status=settings.invoice_status,
            account_code=settings.sales_account_code,
            line_amount_types=settings.line_amount_types,
            page_size=settings.page_size,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    # SourceConnector, ProductIdLister
    async def changed_products(self, query: ChangeQuery) -> Page[Product]:
        return await self.catalog.changed_products(query)

    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]:
        return await self.catalog.changed_stock(query)

    async def list_products(self, query: ListQuery) -> Page[Product]:
        return await self.catalog.list_products(query)

    async def list_stock(self, query: ListQuery) -> Page[StockLevel]:
        return await self.catalog.list_stock(query)

    async def list_product_ids(self, query: ListQuery) -> Page[str]:
        return await self.catalog.list_product_ids(query)

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
        return await self.catalog.create_product(product)

    # SettingsSource
    async def get_settings(self) -> StoreSettings:
        return await self.sales.get_settings()


def build(spec: SystemSpec[XeroSettings], gate: CallGate) -> XeroBooks:
    """The ``xero`` kind's factory (connectors/registry.py)."""
    return XeroBooks(spec, gate)
