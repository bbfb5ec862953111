"""The Django Oscar channel connector (django-oscar-api admin API).

Settings: ``url``, ``partner`` (code of the Oscar partner whose stock records we write;
default "main"), ``product_class`` (slug for new products; default "goods"), ``currency``
(of the prices; default "EUR"), ``warehouse`` (the back-office warehouse whose stock this
partner holds; default "WH"), ``allocated_in_back_office`` (the back office deducts posted
orders already, so Oscar's allocations are added back; default true) and ``timeout``.
Secret: ``api_token`` (a DRF token of a staff user).
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


def _text(spec: SystemSpec, key: str, default: str) -> str:
    value = spec.settings.get(key, default)
    if not isinstance(value, str) or not value:
        raise ValueError(f"system {spec.name!r}: settings.{key} must be a non-empty string")
    return value


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
        self, spec: SystemSpec, gate: CallGate, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        url = _text(spec, "url", "")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"system {spec.name!r}: settings.url must be an http(s) URL")
        token = spec.secrets.get("api_token")
        if not token:
            raise ValueError(f"system {spec.name!r}: secrets.api_token is required")
        timeout = spec.settings.get("timeout", 30.0)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise ValueError(f"system {spec.name!r}: settings.timeout must be a positive number")
        self.name = spec.name
        self.http = OscarHttp(
            url.rstrip("/"),
            token,
            system=spec.name,
            gate=gate,
            timeout=float(timeout),
            transport=transport,
        )
        self.catalog = OscarCatalog(
            self.http,
            spec.name,
            partner=_text(spec, "partner", "main"),
            product_class=_text(spec, "product_class", "goods"),
            currency=_text(spec, "currency", "EUR"),
            warehouse=_text(spec, "warehouse", "WH"),
            add_allocated=bool(spec.settings.get("allocated_in_back_office", True)),
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
