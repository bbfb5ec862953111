"""The sandbox shop: a Starlette app over SQLite that takes product and stock writes in batches.

API (all JSON, ``Authorization: Bearer <api_key>``):

    PUT  /api/products/batch     {"products": [canonical product, ...]} (at most 250)
         -> {"results": [{"external_id", "id", "error"}]}; a refused item leaves the rest
    POST /api/inventory/set      {"levels": [{"sku", "location", "quantity"}, ...]} (at most 250)
         -> {"results": [{"sku", "location", "error"}]}
    GET  /api/products?external_ids=a,b          -> {"items": [canonical product + "id"]}
    GET  /api/products?after_id=&limit=          -> {"items": [...], "next": {"after_id"}|null}
    GET  /api/inventory?skus=a,b | ?after_id=&limit=   inventory rows, likewise
    GET  /api/price-lists        {"items": [{"name": "Sandbox Price", "currency", "entries"}]}
    GET  /api/settings           {"currency", "name", "updated_at"} (a new shop starts in USD)
    PUT  /api/settings           {"currency": "EUR"}: the daemon pushes the back office's currency
    GET  /admin/stats, POST /admin/reset-stats   call counts, product_writes, stock_writes,
                                                 orders_placed, customers_created, generator
    POST /admin/clock {"offset_seconds"}, POST /admin/generator {"rate"} (orders per second)
    GET  /admin/call-times?since=   {"times": [...]}: when each API call arrived (unix seconds)

Products are keyed by the back office's ``external_id``; the shop gives each its own id
("sp_12"). Prices go to the "Sandbox Price" list. Customers are in shop_customers.py, orders
in shop_orders.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio
from anyio.abc import TaskStatus
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncwright.connectors.model import Product
from syncwright.connectors.sandbox import inputs
from syncwright.connectors.sandbox.generator import RateGenerator
from syncwright.connectors.sandbox.settings import ShopSettings
from syncwright.connectors.sandbox.shop.customers import ShopCustomersApi
from syncwright.connectors.sandbox.shop.orders import ShopOrdersApi
from syncwright.connectors.sandbox.shop.store import ShopStore
from syncwright.connectors.sandbox.web import (
    DbWorker,
    Guard,
    HttpError,
    json_object,
    json_response,
    list_param,
    listing_args,
    make_app,
    rate_limiter,
    read_json,
    set_clock,
)
from syncwright.connectors.serving import serve_with_generator

#: Items per write request. 250 is what Shopify's inventorySetQuantities takes; products
#: take the same (raised from 100 for the full-sync speed work of issue 3: each request costs
#: the daemon a fixed share of CPU on top of its items, so fewer, larger requests cost less).
PRODUCT_BATCH = 250
STOCK_BATCH = 250


def check_product(raw: Any) -> Product | str:
    """The product ``raw`` describes, or why the shop refuses it (as its admin UI would say)."""
    try:
        product = Product.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "product"
        return f"invalid product: {where}: {first['msg']}"
    if not product.external_id.strip():
        return "external_id is empty"
    if not product.title.strip():
        return "title is empty"
    if not product.handle.strip():
        return "handle is empty"
    if not product.variants:
        return "product has no variants"
    seen: set[str] = set()
    for variant in product.variants:
        if not variant.sku or not variant.sku.strip():
            return f"variant {variant.external_id} has no SKU"
        if variant.sku in seen:
            return f"SKU {variant.sku!r} appears twice in this product"
        seen.add(variant.sku)
        if any(amount is not None and amount < 0 for amount in (variant.price, variant.rrp)):
            return f"variant {variant.external_id} has a negative price"
    return product


def check_level(raw: Any) -> tuple[str, str, int] | str:
    if not isinstance(raw, dict):
        return "a stock level must be an object with sku, location and quantity"
    sku, location, quantity = raw.get("sku"), raw.get("location"), raw.get("quantity")
    if not isinstance(sku, str) or not sku:
        return "sku must be a non-empty string"
    if not isinstance(location, str) or not location:
        return "location must be a non-empty string"
    if type(quantity) is not int:
        return "quantity must be an integer"
    return sku, location, quantity


@dataclass
class WriteCounts:
    product_writes: int = 0
    stock_writes: int = 0
    product_errors: int = 0
    stock_errors: int = 0


class ShopApi:
    def __init__(
        self, store: ShopStore, db: DbWorker, guard: Guard, generator: RateGenerator
    ) -> None:
        self._store, self._db, self._guard, self._generator = store, db, guard, generator
        self.counts = WriteCounts()
        self.customers = ShopCustomersApi(store.customers, db, guard)
        self.orders = ShopOrdersApi(store, db, guard)

    def routes(self) -> list[Route]:
        wrap = self._guard.wrap
        return [
            Route(
                "/api/products/batch", wrap("PUT /api/products/batch", self.upsert), methods=["PUT"]
            ),
            Route(
                "/api/inventory/set",
                wrap("POST /api/inventory/set", self.set_inventory),
                methods=["POST"],
            ),
            Route("/api/products", wrap("GET /api/products", self.products), methods=["GET"]),
            Route("/api/inventory", wrap("GET /api/inventory", self.inventory), methods=["GET"]),
            Route(
                "/api/price-lists", wrap("GET /api/price-lists", self.price_lists), methods=["GET"]
            ),
            Route("/api/settings", wrap("GET /api/settings", self.settings), methods=["GET"]),
            Route("/api/settings", wrap("PUT /api/settings", self.set_settings), methods=["PUT"]),
            Route("/admin/stats", wrap("stats", self.stats, admin=True), methods=["GET"]),
            Route("/admin/reset-stats", wrap("reset", self.reset, admin=True), methods=["POST"]),
            self._guard.call_times_route(),
            Route("/admin/clock", wrap("clock", self.clock, admin=True), methods=["POST"]),
            Route("/admin/generator", wrap("gen", self.generator, admin=True), methods=["POST"]),
            *self.customers.routes(),
            *self.orders.routes(),
        ]

    async def upsert(self, request: Request) -> Response:
        items = _batch(await read_json(request), "products", PRODUCT_BATCH)
        checked = [check_product(item) for item in items]
        valid = [p for p in checked if isinstance(p, Product)]
        now = self._store.clock.now()
        written = iter(await self._db.run(self._store.upsert_products, valid, now))
        results = [
            next(written)
            if isinstance(p, Product)
            else {"external_id": _field(raw, "external_id"), "id": None, "error": p}
            for raw, p in zip(items, checked, strict=True)
        ]
        self._count(results, "product")
        return json_response({"results": results})

    async def set_inventory(self, request: Request) -> Response:
        items = _batch(await read_json(request), "levels", STOCK_BATCH)
        checked = [check_level(item) for item in items]
        valid = [level for level in checked if isinstance(level, tuple)]
        now = self._store.clock.now()
        written = iter(await self._db.run(self._store.set_inventory, valid, now))
        results = [
            next(written)
            if isinstance(level, tuple)
            else {"sku": _field(raw, "sku"), "location": _field(raw, "location"), "error": level}
            for raw, level in zip(items, checked, strict=True)
        ]
        self._count(results, "stock")
        return json_response({"results": results})

    async def products(self, request: Request) -> Response:
        external_ids = list_param(request, "external_ids")
        if external_ids is not None:
            found = await self._db.run(self._store.products_by_external_id, external_ids)
            return json_response({"items": found})
        items, after = await self._db.run(self._store.list_products, *listing_args(request))
        return json_response({"items": items, "next": after})

    async def inventory(self, request: Request) -> Response:
        skus = list_param(request, "skus")
        if skus is not None:
            return json_response({"items": await self._db.run(self._store.inventory_by_sku, skus)})
        items, after = await self._db.run(self._store.list_inventory, *listing_args(request))
        return json_response({"items": items, "next": after})

    async def price_lists(self, request: Request) -> Response:
        return json_response({"items": await self._db.run(self._store.price_lists)})

    async def settings(self, request: Request) -> Response:
        return json_response(await self._db.run(self._store.settings))

    async def set_settings(self, request: Request) -> Response:
        body = json_object(await read_json(request))
        currency = inputs.currency(body.get("currency"))
        return json_response(await self._db.run(self._store.set_settings, currency))

    async def clock(self, request: Request) -> Response:
        return await set_clock(request, self._db, self._store.set_clock_offset, self._store.clock)

    async def generator(self, request: Request) -> Response:
        rate = json_object(await read_json(request)).get("rate")
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not rate >= 0:
            raise HttpError(400, "'rate' must be a number of orders per second, 0 or more")
        self._generator.set_rate(float(rate))
        await self._generator.settle()  # the answer's count is final when the rate is 0
        return json_response(self._generator.statistics())

    async def stats(self, request: Request) -> Response:
        return json_response(
            {
                **self._guard.stats(),
                **vars(self.counts),
                "orders_placed": self._store.orders_placed,
                "customers_created": self.customers.created,
                "generator": self._generator.statistics(),
                "clock_offset_seconds": self._store.clock.offset_seconds,
            }
        )

    async def reset(self, request: Request) -> Response:
        self._guard.reset()
        self.counts = WriteCounts()
        self._store.orders_placed = self.customers.created = 0
        return await self.stats(request)

    def _count(self, results: list[dict[str, Any]], kind: str) -> None:
        errors = sum(1 for result in results if result["error"] is not None)
        if kind == "product":
            self.counts.product_writes += len(results) - errors
            self.counts.product_errors += errors
        else:
            self.counts.stock_writes += len(results) - errors
            self.counts.stock_errors += errors


def _batch(body: Any, key: str, most: int) -> list[Any]:
    items = json_object(body).get(key)
    if not isinstance(items, list):
        raise HttpError(400, f"the body must be an object with a list '{key}'")
    if len(items) > most:
        raise HttpError(400, f"at most {most} {key} per request, got {len(items)}")
    return items


def _field(raw: Any, key: str) -> str:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, str) else ""


def build_shop_app(
    store: ShopStore, db: DbWorker, guard: Guard, generator: RateGenerator
) -> Starlette:
    return make_app(ShopApi(store, db, guard, generator).routes())


async def serve_shop(
    settings: ShopSettings, *, task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED
) -> None:
    """Serve the sandbox shop until cancelled; reports its base URL once listening."""
    db = DbWorker()
    store = await db.run(ShopStore.open, settings.db_path, settings.locations, settings.currency)
    try:
        limiter = rate_limiter(settings.rate_limit_per_minute)
        generator = RateGenerator(
            store.random_orders, db, rate=settings.order_rate, seed=settings.seed
        )
        app = build_shop_app(store, db, Guard(settings.api_key, limiter), generator)
        await serve_with_generator(
            app,
            generator.run,
            settings.host,
            settings.port,
            name="sandbox-shop http",
            generator_name="sandbox-shop order generator",
            task_status=task_status,
        )
    finally:
        with anyio.CancelScope(shield=True):
            await db.run(store.close)
