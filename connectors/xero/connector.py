"""The Xero back-office connector: items, stock, contacts, invoices and the organisation.

Settings: ``spec.settings`` is a XeroSettings (settings.py). Secrets: ``client_id``,
``client_secret`` (the OAuth app) and ``webhook_key`` (signs Xero's webhook deliveries).
``spec.url`` is the Accounting API's base, ``https://api.xero.com/api.xro/2.0``.
"""

from __future__ import annotations

import httpx

from syncwright.connectors.base import (
    CallGate,
    Capabilities,
    ListQuery,
    Page,
    SystemSpec,
)
from syncwright.connectors.forwarding import CatalogAndSales
from syncwright.connectors.model import (
    Product,
)
from syncwright.connectors.xero.auth import Tokens
from syncwright.connectors.xero.catalog import Catalog
from syncwright.connectors.xero.sales import Sales
from syncwright.connectors.xero.settings import XeroSettings
from syncwright.connectors.xero.transport import XeroHttp


class XeroBooks(CatalogAndSales[Catalog, Sales]):
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
    async def list_product_ids(self, query: ListQuery) -> Page[str]:
        return await self.catalog.list_product_ids(query)

    # OrderTarget: a product named by an order (the rest is forwarded by CatalogAndSales)
    async def create_product(self, product: Product) -> str:
        return await self.catalog.create_product(product)


def build(spec: SystemSpec[XeroSettings], gate: CallGate) -> XeroBooks:
    """The ``xero`` kind's factory (connectors/registry.py)."""
    return XeroBooks(spec, gate)
