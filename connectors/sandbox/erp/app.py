"""The sandbox back office: a Starlette app over SQLite that pages changes by (modified_at, id).

API (all JSON, ``Authorization: Bearer <api_key>``; ``limit`` is 1-1000, default 100):

    GET /api/products/changes?since=&after_modified=&after_id=&limit=
        products with modified_at >= since and (modified_at, id) > (after_modified, after_id),
        in that order, with their variants; deleted ones as status "discontinued", deleted true
    GET /api/stock/changes?since=&after_modified=&after_id=&limit=   stock rows, same paging
    GET /api/products?after_id=&limit=      live catalogue (not deleted) by id
    GET /api/products/ids?after_id=&limit=  the same ids only, {"items": ["12", ...], "next"}
    GET /api/stock?after_id=&limit=         every stock row by row id
    GET /api/products/{id}                  one product (also when deleted)
    GET /api/products/by-sku/{sku}          the product owning a SKU
    GET /api/stock/by-sku?skus=a,b          stock rows of these SKUs at every warehouse
    GET /api/settings                       {"currency", "name", "modified_at"}

Customers are in erp_customers.py; sale orders and sale-time product creation in
erp_orders.py; admin endpoints in erp_admin.py. Pages answer ``{"items": [...], "next": {...}
| null}``; ``next`` is null when nothing more exists. Refusals answer ``{"error": ...}`` (a 409
also names ``existing_id``).
"""

from __future__ import annotations

import anyio
from anyio.abc import TaskStatus
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncwright.connectors.sandbox.erp.admin import ErpAdmin
from syncwright.connectors.sandbox.erp.customers import ErpCustomersApi
from syncwright.connectors.sandbox.erp.orders import ErpOrdersApi
from syncwright.connectors.sandbox.erp.store import ErpStore
from syncwright.connectors.sandbox.generator import ChangeGenerator
from syncwright.connectors.sandbox.settings import ErpSettings
from syncwright.connectors.sandbox.web import (
    DbWorker,
    Guard,
    HttpError,
    change_args,
    found,
    json_response,
    list_param,
    listing_args,
    make_app,
    page_response,
    rate_limiter,
    raw_response,
)
from syncwright.connectors.serving import serve_with_generator


class ErpApi:
    def __init__(self, store: ErpStore, db: DbWorker, guard: Guard) -> None:
        self._store, self._db, self._guard = store, db, guard

    def routes(self) -> list[Route]:
        wrap = self._guard.wrap
        get = ["GET"]
        return [
            Route(
                "/api/products/changes",
                wrap("GET /api/products/changes", self.product_changes),
                methods=get,
            ),
            Route(
                "/api/products/ids", wrap("GET /api/products/ids", self.product_ids), methods=get
            ),
            Route(
                "/api/products/by-sku/{sku}",
                wrap("GET /api/products/by-sku", self.product_by_sku),
                methods=get,
            ),
            Route(
                "/api/products/{id:int}", wrap("GET /api/products/{id}", self.product), methods=get
            ),
            Route("/api/products", wrap("GET /api/products", self.products), methods=get),
            Route(
                "/api/stock/changes",
                wrap("GET /api/stock/changes", self.stock_changes),
                methods=get,
            ),
            Route(
                "/api/stock/by-sku", wrap("GET /api/stock/by-sku", self.stock_by_sku), methods=get
            ),
            Route("/api/stock", wrap("GET /api/stock", self.stock), methods=get),
            Route("/api/settings", wrap("GET /api/settings", self.settings), methods=get),
        ]

    async def product_changes(self, request: Request) -> Response:
        items, after = await self._db.run(self._store.changed_products, *change_args(request))
        return page_response(items, after)

    async def stock_changes(self, request: Request) -> Response:
        items, after = await self._db.run(self._store.changed_stock, *change_args(request))
        return page_response(items, after)

    async def products(self, request: Request) -> Response:
        items, after = await self._db.run(self._store.list_products, *listing_args(request))
        return page_response(items, after)

    async def product_ids(self, request: Request) -> Response:
        items, after = await self._db.run(self._store.product_ids, *listing_args(request))
        return json_response({"items": items, "next": after})

    async def stock(self, request: Request) -> Response:
        items, after = await self._db.run(self._store.list_stock, *listing_args(request))
        return page_response(items, after)

    async def settings(self, request: Request) -> Response:
        return json_response(await self._db.run(self._store.settings))

    async def product(self, request: Request) -> Response:
        product_id = request.path_params["id"]
        product = await self._db.run(self._store.get_product, product_id)
        return raw_response(found(product, f"no product with id {product_id}"))

    async def product_by_sku(self, request: Request) -> Response:
        sku = request.path_params["sku"]
        product = await self._db.run(self._store.product_by_sku, sku)
        return raw_response(found(product, f"no product has a variant with SKU {sku!r}"))

    async def stock_by_sku(self, request: Request) -> Response:
        skus = list_param(request, "skus")
        if not skus:
            raise HttpError(400, "'skus' must list at least one SKU (comma separated)")
        return page_response(await self._db.run(self._store.stock_by_sku, skus), None)


def build_erp_app(
    store: ErpStore, db: DbWorker, guard: Guard, generator: ChangeGenerator
) -> Starlette:
    customers = ErpCustomersApi(store.customers, db, guard)
    orders = ErpOrdersApi(store, db, guard)
    admin = ErpAdmin(store, db, guard, generator, counts=orders.counts.as_dict)
    return make_app(
        ErpApi(store, db, guard).routes() + customers.routes() + orders.routes() + admin.routes()
    )


async def serve_erp(
    settings: ErpSettings, *, task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED
) -> None:
    """Serve the sandbox back office until cancelled; reports its base URL once listening."""
    db = DbWorker()
    store = await db.run(ErpStore.open, settings)
    try:
        limiter = rate_limiter(settings.rate_limit_per_minute)
        guard = Guard(settings.api_key, limiter)
        generator = ChangeGenerator(store, db, rate=settings.change_rate, seed=settings.seed)
        app = build_erp_app(store, db, guard, generator)
        await serve_with_generator(
            app,
            generator.run,
            settings.host,
            settings.port,
            name="sandbox-erp http",
            generator_name="sandbox-erp change generator",
            task_status=task_status,
        )
    finally:
        with anyio.CancelScope(shield=True):
            await db.run(store.close)
