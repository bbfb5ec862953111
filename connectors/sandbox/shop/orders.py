"""Order endpoints of the sandbox shop: the API the daemon pulls, and the admin that makes
orders happen.

    GET  /api/orders/changes?since=&after_modified=&after_id=&limit=
         orders with updated_at >= since, ordered by (updated_at, id) after the key; placing,
         amending and fulfilling an order all move its updated_at
    GET  /api/orders?after_id=&limit=           every order by id (for audit mode)
    GET  /api/orders/{id}                       one order ("so_12" or 12)

An order: {id, number, customer_id, customer (snapshot when placed), lines [{sku, title,
quantity, unit_price}], currency, total, status (open|cancelled|closed), b2b,
shipping_address, shipments [{id, lines [[sku, qty]], carrier, tracking, shipped_at}],
created_at, updated_at}.

Admin (not rate limited, not counted):

    POST  /admin/orders  {customer: {email, first_name, last_name, company, ...} | customer_id,
                          lines: [{sku, quantity, unit_price?, title?}], b2b?, shipping_address?}
          Lines are priced from the "Sandbox Price" list; a SKU the shop does not list needs an
          explicit unit_price (so an order can name a SKU the back office lacks). A customer
          whose e-mail has an account orders as that account; otherwise one is created.
    PATCH /admin/orders/{id}             {lines?, status?, shipping_address?}
    POST  /admin/orders/{id}/shipments   {lines: [[sku, qty]], carrier?, tracking?, shipped_at?}
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncwright.connectors.sandbox import inputs
from syncwright.connectors.sandbox.shop.customers import parent_id
from syncwright.connectors.sandbox.shop.store import ShopStore
from syncwright.connectors.sandbox.web import (
    DbWorker,
    Guard,
    change_args,
    found,
    id_param,
    json_object,
    json_response,
    limit_param,
    read_json,
    row_id,
)

PREFIX = "so_"


class ShopOrdersApi:
    def __init__(self, store: ShopStore, db: DbWorker, guard: Guard) -> None:
        self._store, self._orders, self._db, self._guard = store, store.orders, db, guard

    def routes(self) -> list[Route]:
        wrap = self._guard.wrap
        return [
            Route(
                "/api/orders/changes",
                wrap("GET /api/orders/changes", self.changes),
                methods=["GET"],
            ),
            Route("/api/orders/{id}", wrap("GET /api/orders/{id}", self.one), methods=["GET"]),
            Route("/api/orders", wrap("GET /api/orders", self.listing), methods=["GET"]),
            Route("/admin/orders", wrap("place", self.place, admin=True), methods=["POST"]),
            Route("/admin/orders/{id}", wrap("amend", self.amend, admin=True), methods=["PATCH"]),
            Route(
                "/admin/orders/{id}/shipments",
                wrap("fulfil", self.fulfil, admin=True),
                methods=["POST"],
            ),
        ]

    async def changes(self, request: Request) -> Response:
        items, after = await self._db.run(self._orders.changed, *change_args(request, PREFIX))
        return json_response({"items": items, "next": after})

    async def listing(self, request: Request) -> Response:
        items, after = await self._db.run(
            self._orders.listing, id_param(request, "after_id", PREFIX), limit_param(request)
        )
        return json_response({"items": items, "next": after})

    async def one(self, request: Request) -> Response:
        key = row_id(request.path_params["id"], "id", PREFIX)
        order = await self._db.run(self._orders.get, key)
        return json_response(found(order, f"no order {PREFIX}{key}"))

    async def place(self, request: Request) -> Response:
        spec = _placement(json_object(await read_json(request)))
        order = await self._db.run(self._store.place_order, spec)
        return json_response(order, 201)

    async def amend(self, request: Request) -> Response:
        body = json_object(await read_json(request))
        changes: dict[str, Any] = {}
        if "lines" in body:
            changes["lines"] = inputs.order_lines(body["lines"], priced=False)
        if "status" in body:
            changes["status"] = inputs.status(body["status"])
        if "shipping_address" in body:
            changes["shipping_address"] = inputs.address(
                body["shipping_address"], strict=True, key="shipping_address"
            )
        if not changes:
            raise inputs.invalid("give at least one of lines, status, shipping_address")
        key = row_id(request.path_params["id"], "id", PREFIX)
        return json_response(await self._db.run(self._orders.amend, key, changes))

    async def fulfil(self, request: Request) -> Response:
        body = json_object(await read_json(request))
        shipment = {
            "lines": inputs.shipment_lines(body.get("lines")),
            **inputs.shipment_details(body),
        }
        if not shipment["lines"]:
            raise inputs.invalid("a shipment needs at least one line")
        key = row_id(request.path_params["id"], "id", PREFIX)
        return json_response(await self._db.run(self._orders.fulfil, key, shipment), 201)


def _placement(body: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {"lines": inputs.order_lines(body.get("lines"), priced=False)}
    if body.get("customer_id") is not None:
        spec["customer_id"] = row_id(
            inputs.text(body["customer_id"], "customer_id"), "customer_id", "sc_"
        )
    else:
        person = body.get("customer")
        if not isinstance(person, dict):
            raise inputs.invalid("give 'customer' {email, first_name, ...} or 'customer_id'")
        spec["customer"] = inputs.customer(person, strict=True, partial=False, parent=parent_id)
    if "b2b" in body:
        spec["b2b"] = inputs.flag(body["b2b"], "b2b")
    if body.get("shipping_address") is not None:
        spec["shipping_address"] = inputs.address(
            body["shipping_address"], strict=True, key="shipping_address"
        )
    return spec
