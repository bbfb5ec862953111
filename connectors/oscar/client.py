"""The Django Oscar channel connector (django-oscar-api admin API).

Settings: ``spec.settings`` is an OscarSettings (settings.py: partner, product class, currency,
warehouse, whether the back office deducts posted orders). Secret: ``api_token`` (a DRF token
of a staff user).
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
from syncwright.connectors.model import Order, Product, StockLevel, WriteResult
from syncwright.connectors.oscar.api import OscarHttp
from syncwright.connectors.oscar.catalog import OscarCatalog
from syncwright.connectors.oscar.orders import OscarOrders
from syncwright.connectors.oscar.settings import OscarSettings


class OscarShop:
    kind = "oscar"
    capabilities = Capabilities(
        cursor="none",
        order_cursor="none",  # no changed-since filter: orders are pulled in audit mode
        max_page_size=100,
        product_batch_size=50,
        stock_batch_size=250,
        price_list_name="Oscar Price",
    )

    def __init__(
        self,
        spec: SystemSpec[OscarSettings],
        gate: CallGate,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        settings = spec.settings
        self.name = spec.name
        self.http = OscarHttp(
            spec.url.rstrip("/"),
            spec.secret("api_token"),
            system=spec.name,
            gate=gate,
            timeout=spec.timeout,
            transport=transport,
        )
        self.catalog = OscarCatalog(
            self.http,
            spec.name,
            partner=settings.partner,
            product_class=settings.product_class,
            currency=settings.currency,
            warehouse=settings.warehouse,
            add_allocated=settings.allocated_in_back_office,
        )
        self.orders = OscarOrders(self.http, spec.name)

    async def aclose(self) -> None:
        await self.http.aclose()

    # ChannelConnector
    async def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]:
        return await self.catalog.upsert(products)

    async def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        return await self.catalog.set_stock(levels)

    async def read_products(self, external_ids: Sequence[str]) -> dict[str, Product]:
        return await self.catalog.read(external_ids)

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        return await self.catalog.read_stock(skus)

    # OrderSource (audit mode only)
    async def changed_orders(self, query: ChangeQuery) -> Page[Order]:
        """Oscar cannot filter by change: every order, paged by id (the daemon audits)."""
        after = query.after[1] if query.after else None
        return await self.orders.list_orders(ListQuery(after=after, limit=query.limit))

    async def list_orders(self, query: ListQuery) -> Page[Order]:
        return await self.orders.list_orders(query)

    async def get_order(self, external_id: str) -> Order | None:
        return await self.orders.get_order(external_id)


def build(spec: SystemSpec[OscarSettings], gate: CallGate) -> OscarShop:
    """The ``oscar`` kind's factory (connectors/registry.py)."""
    return OscarShop(spec, gate)
