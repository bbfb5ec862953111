"""The sandbox shop's connector: a channel for products and stock, a source of orders, a
customer directory, and a target of store settings.

Order pages are keyed ``(updated_at, "so_N")``; a listing's key carries the id in the same
place, so ``ListQuery(after=page.last_key[1])`` asks for the next page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from Python 3.12

from syncwright.connectors.base import (
    CallGate,
    Capabilities,
    ChangeQuery,
    ListQuery,
    Page,
    SystemSpec,
)
from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import (
    Customer,
    Order,
    Product,
    StockLevel,
    StoreSettings,
    WriteResult,
)
from syncwright.connectors.sandbox.clients.base import LOOKUP_CHUNK, SandboxClient
from syncwright.connectors.sandbox.clients.settings import SandboxShopSettings
from syncwright.connectors.sandbox.wire import sales as wire_sales
from syncwright.connectors.sandbox.wire.products import Obj, next_key, page_body, shop_product


class _Level(TypedDict):
    sku: str
    location: str
    quantity: int


class _Levels(TypedDict):
    levels: list[_Level]


#: pydantic's own JSON encoder for stock writes (the same document json.dumps would give, at a
#: fraction of the cost: a full sync sends two levels per product).
_LEVELS = TypeAdapter(_Levels)


class SandboxShop(SandboxClient):
    """The sandbox shop: a channel for products and stock, a source of orders, a directory of
    customers, and a target of store settings."""

    capabilities = Capabilities(
        cursor="none",
        order_cursor="time",  # GET /api/orders/changes pages by (updated_at, id)
        product_batch_size=250,
        stock_batch_size=250,
        price_list_name="Sandbox Price",
    )

    def __init__(
        self,
        spec: SystemSpec[SandboxShopSettings],
        gate: CallGate,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(spec, gate, transport=transport)
        self.location_map: dict[str, str] = dict(spec.settings.location_map)
        self._back = {shop: source for source, shop in self.location_map.items()}

    async def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for part in self._chunks(products, self.capabilities.product_batch_size):
            # pydantic's own JSON encoder: the same document as model_dump(mode="json") would
            # give json.dumps, at a fraction of the cost.
            encoded = ",".join(product.model_dump_json() for product in part)
            body = await self.http.request(
                "PUT", "/api/products/batch", raw_json=f'{{"products":[{encoded}]}}'.encode()
            )
            for product, raw in zip(part, self._results(body, len(part)), strict=True):
                pid = product.external_id
                if type(raw) is dict and raw.get("error") is None and type(raw.get("id")) is str:
                    results.append(WriteResult(external_id=pid, remote_id=raw["id"]))
                    continue  # the common answer, checked in one step
                item = Obj(raw, f"result for product {pid}", self.name)
                error = item.opt_text("error")
                results.append(
                    WriteResult(
                        external_id=pid,
                        error=error,
                        remote_id=None if error else item.text("id"),
                    )
                )
        return results

    async def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        """Write quantities; results are keyed ``"sku|location"`` by the source's location."""
        results: list[WriteResult] = []
        for part in self._chunks(levels, self.capabilities.stock_batch_size):
            wire: list[_Level] = [
                {
                    "sku": level.sku,
                    "location": self.location_map.get(level.location, level.location),
                    "quantity": level.quantity,
                }
                for level in part
            ]
            body = await self.http.request(
                "POST", "/api/inventory/set", raw_json=_LEVELS.dump_json({"levels": wire})
            )
            for level, sent, raw in zip(part, wire, self._results(body, len(part)), strict=True):
                if type(raw) is dict and raw.get("error") is None:  # the common answer
                    results.append(
                        WriteResult(
                            external_id=f"{level.sku}|{level.location}",
                            remote_id=f"{level.sku}|{sent['location']}",
                        )
                    )
                    continue
                item = Obj(raw, f"result for stock {level.sku}", self.name)
                error = item.opt_text("error")
                results.append(
                    WriteResult(
                        external_id=f"{level.sku}|{level.location}",
                        error=error,
                        remote_id=None if error else f"{level.sku}|{sent['location']}",
                    )
                )
        return results

    async def read_products(self, external_ids: Sequence[str]) -> dict[str, Product]:
        found: dict[str, Product] = {}
        for part in self._chunks(external_ids, LOOKUP_CHUNK):
            body = await self._get("/api/products", external_ids=self._joined(part, "product id"))
            for item in Obj(body, "product lookup", self.name).array("items"):
                product = shop_product(item, self.name)
                found[product.external_id] = product
        return found

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """Quantities the shop holds, with locations named as the source names them."""
        levels: list[StockLevel] = []
        for part in self._chunks(skus, LOOKUP_CHUNK):
            body = await self._get("/api/inventory", skus=self._joined(part, "SKU"))
            for raw in Obj(body, "inventory lookup", self.name).array("items"):
                item = Obj(raw, "inventory row", self.name)
                location = item.text("location")
                levels.append(
                    StockLevel(
                        sku=item.text("sku"),
                        quantity=item.integer("quantity"),
                        location=self._back.get(location, location),
                    )
                )
        return levels

    # -- orders (OrderSource) ---------------------------------------------------------------

    async def changed_orders(self, query: ChangeQuery) -> Page[Order]:
        """Orders by (updated_at, id): placing, amending and fulfilling all count as changes."""
        params = self._change_params(query, self.capabilities.max_page_size)
        return await self._orders("/api/orders/changes", "order changes", params)

    async def list_orders(self, query: ListQuery) -> Page[Order]:
        params = {
            "after_id": query.after,
            "limit": min(query.limit, self.capabilities.max_page_size),
        }
        return await self._orders("/api/orders", "order listing", params)

    async def get_order(self, external_id: str) -> Order | None:
        body = await self._get_or_none(f"/api/orders/{quote(external_id, safe='')}")
        return None if body is None else wire_sales.shop_order(body, self.name)[0]

    # -- customers (CustomerDirectory) -----------------------------------------------------

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        """Accounts matching the e-mail (ignoring case) or the accounting id."""
        if not email and not account_id:
            return []
        body = await self._get("/api/customers/search", email=email, account_id=account_id)
        items, _ = page_body(body, "customer search", self.name)
        return [
            wire_sales.customer(item, self.name, shop=True, stamp="updated_at") for item in items
        ]

    async def create_customer(self, customer: Customer) -> str:
        """Create an account; an e-mail another account holds raises ConflictError."""
        body = wire_sales.customer_body(customer, customer.parent_external_id)
        created = await self.http.request("POST", "/api/customers", json_body=body)
        return Obj(created, "created customer", self.name).text("id")

    # -- settings (SettingsSource, SettingsTarget) -----------------------------------------

    async def get_settings(self) -> StoreSettings:
        return wire_sales.settings(await self._get("/api/settings"), self.name)

    async def set_settings(self, settings: StoreSettings) -> None:
        """Set the shop's currency (its name stays the shop's own)."""
        await self.http.request("PUT", "/api/settings", json_body={"currency": settings.currency})

    # -- helpers ---------------------------------------------------------------------------

    async def _orders(self, path: str, what: str, params: dict[str, Any]) -> Page[Order]:
        items, after = page_body(await self._get(path, **params), what, self.name)
        mapped = [wire_sales.shop_order(item, self.name) for item in items]
        last = (mapped[-1][1], mapped[-1][2]) if mapped else None
        orders = [order for order, _, _ in mapped]
        if after is None:
            return Page(orders, last, complete=True)
        return Page(orders, last, complete=False, next_key=next_key(after, what, self.name))

    def _results(self, body: Any, expected: int) -> list[Any]:
        results = Obj(body, "batch answer", self.name).array("results")
        if len(results) != expected:
            raise PayloadError(
                f"batch answer holds {len(results)} results for {expected} items", system=self.name
            )
        return results
