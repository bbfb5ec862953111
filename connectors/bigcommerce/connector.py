"""BigCommerceConnector: one store, as a channel (back office -> BigCommerce, orders back) or
as a source (BigCommerce -> another channel); a system's role comes from its connection.

Channel roles: ChannelConnector, OrderSource (orders by date_modified), CustomerDirectory,
PriceLists, SettingsSource. Source roles: SourceConnector (products by date_modified, stock
by listing), ProductIdLister, CustomerSource, CustomerLookup. ``spec.url`` is the store's API
base ending with its hash (``https://api.bigcommerce.com/stores/{hash}``); ``spec.settings`` a
BigCommerceSettings; secrets ``access_token`` (X-Auth-Token) and ``client_secret`` (webhooks).

Deletions: BigCommerce hard-deletes products and variants and its ``date_modified`` feeds never
show them; a source learns of them from ``store/product/deleted`` webhooks and from the id
listing (``list_product_ids``) the daemon compares with its links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import httpx

from syncwright.connectors.base import (
    CallGate,
    Capabilities,
    ChangeQuery,
    ListQuery,
    Page,
    SystemSpec,
)
from syncwright.connectors.bigcommerce import wire
from syncwright.connectors.bigcommerce.catalog import INCLUDE, PRODUCTS, Catalog
from syncwright.connectors.bigcommerce.inventory import Inventory
from syncwright.connectors.bigcommerce.keyset import Keyset
from syncwright.connectors.bigcommerce.sales import Sales
from syncwright.connectors.bigcommerce.settings import BigCommerceSettings
from syncwright.connectors.bigcommerce.transport import (
    MAX_INVENTORY_PAGE,
    MAX_PAGE,
    Transport,
    chunks,
)
from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import (
    Customer,
    Order,
    Product,
    StockLevel,
    StoreSettings,
    Variant,
    WriteResult,
)

PRICE_RECORDS = 1000
EPOCH = "1970-01-01T00:00:00Z"


class BigCommerceConnector:
    kind = "bigcommerce"
    capabilities = Capabilities(
        cursor="time",
        order_cursor="time",
        # Inventory pages hold 1,000 (catalog, customer and order reads cap themselves at 250).
        max_page_size=MAX_INVENTORY_PAGE,
        product_batch_size=250,  # one sku:in read per upsert; PUTs go 10 at a time inside
        stock_batch_size=2000,
        webhooks=True,
        price_list_name="BigCommerce Price",
    )

    def __init__(
        self,
        spec: SystemSpec[BigCommerceSettings],
        gate: CallGate,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = spec.name
        settings = spec.settings
        self.t = Transport(
            base_url=spec.url,
            token=spec.secret("access_token"),
            system=spec.name,
            gate=gate,
            timeout=spec.timeout,
            transport=transport,
        )
        self.catalog = Catalog(self.t, settings.id_prefix, "kg", settings.discontinued)
        self.inventory = Inventory(self.t, self.catalog, settings.location_map)
        self.sales = Sales(self.t)
        if settings.price_list:  # named after the back office: "<Platform> Price"
            self.capabilities = replace(self.capabilities, price_list_name=settings.price_list)
        self.price_list_name = self.capabilities.price_list_name
        self._price_list: int | None = None
        #: The store's currency (price-list records name it), read once.
        self._currency: str | None = None
        self._products = Keyset[Product](
            self._product_rows, self.catalog.source_product, _product_key, MAX_PAGE
        )

    async def aclose(self) -> None:
        await self.t.aclose()

    # -- channel: products, prices, stock -------------------------------------------------

    async def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]:
        results, written = await self.catalog.upsert(products)
        if written:
            await self._write_prices(written)
        return results

    async def read_products(self, external_ids: Sequence[str]) -> dict[str, Product]:
        return await self.catalog.read(external_ids)

    async def ensure_price_list(self, name: str) -> str:
        """PriceLists: find the list by name or create it (on connect); its id."""
        page = await self.t.v3_page("/v3/pricelists", {"name": name})
        if page.data:
            found = int(page.data[0]["id"])
        else:
            made = await self.t.v3_data("POST", "/v3/pricelists", {"name": name, "active": True})
            found = int(made["id"])
        self.price_list_name, self._price_list = name, found
        return str(found)

    async def _write_prices(self, variants: Sequence[Variant]) -> None:
        if self._price_list is None:
            await self.ensure_price_list(self.price_list_name)
        assert self._price_list is not None
        currency = self._currency or (await self.get_settings()).currency
        rows = [
            {
                "variant_id": self.catalog.variant_ids[v.sku],
                "price": str(v.price),
                "currency": currency,
            }
            | ({"retail_price": str(v.rrp)} if v.rrp is not None else {})
            for v in variants
            if v.sku and v.price is not None and v.sku in self.catalog.variant_ids
        ]
        for part in chunks(rows, PRICE_RECORDS):
            await self.t.call("PUT", f"/v3/pricelists/{self._price_list}/records", body=part)

    async def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        return await self.inventory.write(levels)

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        return await self.inventory.read(skus)

    async def sku_of_inventory_item(self, variant_id: str) -> str | None:
        """The SKU of a variant (an inventory webhook names the variant id): from what the
        catalogue has seen, else one call."""
        for sku, known in self.catalog.variant_ids.items():
            if str(known) == variant_id:
                return sku
        if not variant_id.isdigit():
            return None
        page = await self.t.v3_page("/v3/catalog/variants", {"id:in": variant_id})
        found = page.data[0].get("sku") if page.data else None
        return str(found) if found else None

    async def source_location(self, location_id: str) -> str | None:
        """The back office's name for a BigCommerce location id (webhook notices)."""
        return await self.inventory.name_of(int(location_id)) if location_id.isdigit() else None

    # -- orders and customers -------------------------------------------------------------

    async def changed_orders(self, query: ChangeQuery) -> Page[Order]:
        return await self.sales.changed_orders(query)

    async def list_orders(self, query: ListQuery) -> Page[Order]:
        return await self.sales.list_orders(query)

    async def get_order(self, external_id: str) -> Order | None:
        return await self.sales.get_order(external_id)

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        return await self.sales.find(email) if email else []

    async def create_customer(self, customer: Customer) -> str:
        return await self.sales.create(customer)

    async def changed_customers(self, query: ChangeQuery) -> Page[Customer]:
        return await self.sales.changed_customers(query)

    async def list_customers(self, query: ListQuery) -> Page[Customer]:
        return await self.sales.list_customers(query)

    async def get_customer(self, external_id: str) -> Customer | None:
        return await self.sales.get(external_id)

    async def get_settings(self) -> StoreSettings:
        info = await self.t.call("GET", "/v2/store")
        if not isinstance(info, dict) or not isinstance(info.get("currency"), str):
            raise PayloadError("store answer without a currency", system=self.name)
        self._currency = info["currency"]
        return StoreSettings(currency=info["currency"], name=str(info.get("name") or ""))

    # -- source: products and stock -------------------------------------------------------

    async def _product_rows(
        self, low: str | None, high: str | None, min_id: int | None, limit: int
    ) -> tuple[list[Any], bool]:
        params: dict[str, Any] = {
            "sort": "date_modified",
            "direction": "asc",
            "include": INCLUDE,
            "limit": limit,
            "page": 1,
        }
        if low:
            params["date_modified:min"] = wire.filter_time(low)
        if high:
            params["date_modified:max"] = wire.filter_time(high)
        if min_id is not None:
            params["id:min"] = min_id
        page = await self.t.v3_page(PRODUCTS, params)
        return page.data, page.more

    async def changed_products(self, query: ChangeQuery) -> Page[Product]:
        return await self._products.page(query)

    async def list_products(self, query: ListQuery) -> Page[Product]:
        params: dict[str, Any] = {"include": INCLUDE, "limit": min(query.limit, MAX_PAGE)}
        if query.after:
            params["id:min"] = int(query.after) + 1
        page = await self.t.v3_page(PRODUCTS, params)
        items = [self.catalog.source_product(r) for r in page.data]
        last = ("", items[-1].external_id) if items else None
        return Page(items, last, complete=not page.more)

    async def list_product_ids(self, query: ListQuery) -> Page[str]:
        params: dict[str, Any] = {"include_fields": "id", "limit": min(query.limit, MAX_PAGE)}
        if query.after:
            params["id:min"] = int(query.after) + 1
        page = await self.t.v3_page(PRODUCTS, params)
        ids = [str(r["id"]) for r in page.data if "id" in r]
        return Page(ids, ("", ids[-1]) if ids else None, complete=not page.more)

    async def get_product(self, id_or_sku: str) -> Product | None:
        if id_or_sku.isdigit():
            page = await self.t.v3_page(PRODUCTS, {"id:in": id_or_sku, "include": INCLUDE})
            if page.data:
                return self.catalog.source_product(page.data[0])
        variants = await self.t.v3_page("/v3/catalog/variants", {"sku:in": id_or_sku})
        if not variants.data:
            return None
        pid = variants.data[0].get("product_id")
        page = await self.t.v3_page(PRODUCTS, {"id:in": str(pid), "include": INCLUDE})
        return self.catalog.source_product(page.data[0]) if page.data else None

    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]:
        """Every level, a page of 1,000 variants per call: BigCommerce's inventory has no
        modified-since filter, and an adjustment need not touch the product's date_modified,
        so a product feed would miss stock-only changes. The token stays the pass's bound."""
        token = query.since or EPOCH
        after = query.after[1] if query.after else None
        page = await self.inventory.listing(ListQuery(after=after, limit=query.limit))
        key = (token, page.next_key[1]) if page.next_key else None
        return Page(page.items, key if page.items else None, complete=page.complete, next_key=key)

    async def list_stock(self, query: ListQuery) -> Page[StockLevel]:
        return await self.inventory.listing(query)

    async def get_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        return await self.inventory.read(skus)


def _product_key(product: Product) -> tuple[str, str]:
    return wire.iso(product.modified_at), product.external_id


def build(spec: SystemSpec[BigCommerceSettings], gate: CallGate) -> BigCommerceConnector:
    """The ``bigcommerce`` kind's factory (connectors/registry.py)."""
    return BigCommerceConnector(spec, gate)


__all__ = ["BigCommerceConnector", "build"]
