"""The Lightspeed Retail X-Series back office (API 2.0): products with variant families,
inventory per outlet, customers, sales, store settings.

Settings: ``spec.settings`` is a LightspeedXSettings (settings.py). Secrets: ``token`` (a
personal token; with ``oauth_token_file`` set, the add-on's client secret, oauth.py) and
``webhook_key`` (the key webhook URLs must carry, notices.py). ``spec.url`` is the
store's base URL, e.g. ``https://example.retail.lightspeed.app``.
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
from syncwright.connectors.lightspeed_x.catalog import Catalog
from syncwright.connectors.lightspeed_x.oauth import OAuth
from syncwright.connectors.lightspeed_x.sales import Sales
from syncwright.connectors.lightspeed_x.settings import LightspeedXSettings
from syncwright.connectors.lightspeed_x.transport import Transport
from syncwright.connectors.model import (
    Product,
)


class LightspeedX(CatalogAndSales[Catalog, Sales]):
    kind = "lightspeed-x"
    # X-Series has no product or customer batch writes; it is read through version cursors.
    capabilities = Capabilities(
        cursor="version",
        max_page_size=1000,
        product_batch_size=1,
        stock_batch_size=1,
        price_list_name="Lightspeed Price",
    )

    def __init__(
        self,
        spec: SystemSpec[LightspeedXSettings],
        gate: CallGate,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        settings = spec.settings
        self.name = spec.name
        oauth = None
        if settings.oauth_token_file is not None and settings.oauth_client_id is not None:
            oauth = OAuth(
                settings.oauth_token_file,
                spec.url.rstrip("/") + "/api/1.0/token",
                settings.oauth_client_id,
                spec.secret("token"),
                system=spec.name,
                transport=transport,
            )
        self.http = Transport(
            spec.url,
            None if oauth else spec.secret("token"),
            system=spec.name,
            gate=gate,
            timeout=spec.timeout,
            transport=transport,
            oauth=oauth,
        )
        self.catalog = Catalog(self.http, settings.page_size, settings.outlet_map)
        self.sales = Sales(
            self.http,
            self.catalog,
            settings.sale_register,
            settings.sale_status,
            settings.page_size,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    # ProductIdLister: a safety net, deletions arrive through the feed (deleted=true) anyway
    async def list_product_ids(self, query: ListQuery) -> Page[str]:
        return await self.catalog.list_product_ids(query)

    # OrderTarget: a product named by an order (the rest is forwarded by CatalogAndSales)
    async def create_product(self, product: Product) -> str:
        return await self.sales.create_product(product)

    # webhooks: inventory notices name a product id and an outlet id (dispatch resolves them)
    async def sku_of_inventory_item(self, product_id: str) -> str | None:
        return await self.catalog.sku_of(product_id)

    async def source_location(self, outlet_id: str) -> str | None:
        return await self.catalog.location_of(outlet_id)


def build(spec: SystemSpec[LightspeedXSettings], gate: CallGate) -> LightspeedX:
    """The ``lightspeed-x`` kind's factory (connectors/registry.py)."""
    return LightspeedX(spec, gate)
