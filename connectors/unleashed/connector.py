"""The Unleashed back-office connector: products, prices, stock per warehouse, customers,
sales orders and the base currency (see README, "Unleashed").

Settings: ``spec.settings`` is an UnleashedSettings (settings.py). Secrets: ``api_id`` (the
API ID GUID) and ``api_key`` (which signs every request). The monthly call quota belongs in the
system's budget as a calendar month window in UTC.
"""

from __future__ import annotations

import httpx

from syncwright.connectors.base import (
    CallGate,
    Capabilities,
    SystemSpec,
)
from syncwright.connectors.forwarding import CatalogAndSales
from syncwright.connectors.model import (
    Product,
)
from syncwright.connectors.unleashed.catalog import Catalog
from syncwright.connectors.unleashed.client import UnleashedClient
from syncwright.connectors.unleashed.sales import Sales
from syncwright.connectors.unleashed.settings import UnleashedSettings

MAX_PAGE = 1000


class UnleashedErp(CatalogAndSales[Catalog, Sales]):
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

    # OrderTarget: a product named by an order (the rest is forwarded by CatalogAndSales)
    async def create_product(self, product: Product) -> str:
        return await self.sales.create_product(product)


def build(spec: SystemSpec[UnleashedSettings], gate: CallGate) -> UnleashedErp:
    """The ``unleashed`` kind's factory (connectors/registry.py)."""
    return UnleashedErp(spec, gate)
