"""Sale-order and sale-time product endpoints of the sandbox back office.

    POST /api/orders   {channel_ref, customer_id, lines: [{sku, quantity, unit_price, title}],
                        currency, total, b2b, shipping_address, status?}
         -> 201 order; 409 {"error", "existing_id"} when the channel_ref is known (the table's
         UNIQUE key decides); 422 naming an unknown SKU or customer, or any bad field
    GET  /api/orders/by-ref/{channel_ref}       the order posted under it, or 404
    GET  /api/orders/{id}                       one order
    GET  /api/orders?after_id=&limit=           orders by id
    PUT  /api/orders/{id}   {lines?, total?, status?, currency?, shipping_address?}
         -> 200 order; 409 once the order is "closed"
    POST /api/orders/{id}/shipments  {external_id, lines: [[sku, qty]], carrier, tracking,
                                      shipped_at} -> 201 order, or 200 when already recorded
    POST /api/products  a canonical product with variants (each with a SKU and a price)
         -> 201 product; 409 {"error", "existing_id"} when a SKU belongs to another product

An order's JSON: {id, channel_ref, customer_id, currency, total, b2b, status, shipping_address,
lines, shipments, created_at, modified_at}.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncwright.connectors.sandbox import inputs
from syncwright.connectors.sandbox.erp.admin import product_fields, variant_input
from syncwright.connectors.sandbox.erp.store import ErpStore
from syncwright.connectors.sandbox.refusals import Conflict, Refused
from syncwright.connectors.sandbox.web import (
    DbWorker,
    Guard,
    HttpError,
    found,
    json_object,
    listing_args,
    page_response,
    raw_response,
    read_json,
)

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class OrderCounts:
    orders_created: int = 0
    orders_duplicate: int = 0
    orders_rejected: int = 0
    orders_amended: int = 0
    shipments_added: int = 0
    products_created: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class ErpOrdersApi:
    def __init__(self, store: ErpStore, db: DbWorker, guard: Guard) -> None:
        self._store, self._orders, self._db, self._guard = store, store.orders, db, guard
        self.counts = OrderCounts()

    def routes(self) -> list[Route]:
        wrap = self._guard.wrap
        return [
            Route("/api/orders", wrap("POST /api/orders", self.create), methods=["POST"]),
            Route("/api/orders", wrap("GET /api/orders", self.listing), methods=["GET"]),
            Route(
                "/api/orders/by-ref/{ref:path}",
                wrap("GET /api/orders/by-ref", self.by_ref),
                methods=["GET"],
            ),
            Route("/api/orders/{id:int}", wrap("GET /api/orders/{id}", self.one), methods=["GET"]),
            Route(
                "/api/orders/{id:int}", wrap("PUT /api/orders/{id}", self.amend), methods=["PUT"]
            ),
            Route(
                "/api/orders/{id:int}/shipments",
                wrap("POST /api/orders/{id}/shipments", self.ship),
                methods=["POST"],
            ),
            Route("/api/products", wrap("POST /api/products", self.product), methods=["POST"]),
        ]

    async def create(self, request: Request) -> Response:
        try:
            order = _order(json_object(await read_json(request)))
            created = await self._db.run(self._orders.create, order)
        except Conflict:
            self.counts.orders_duplicate += 1
            raise
        except (HttpError, Refused):
            self.counts.orders_rejected += 1
            raise
        self.counts.orders_created += 1
        return raw_response(created, 201)

    async def listing(self, request: Request) -> Response:
        items, after = await self._db.run(self._orders.listing, *listing_args(request))
        return page_response(items, after)

    async def by_ref(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        order = await self._db.run(self._orders.by_ref, ref)
        return raw_response(found(order, f"no order has channel reference {ref!r}"))

    async def one(self, request: Request) -> Response:
        order_id = request.path_params["id"]
        order = await self._db.run(self._orders.get, order_id)
        return raw_response(found(order, f"no order with id {order_id}"))

    async def amend(self, request: Request) -> Response:
        changes = _amendment(json_object(await read_json(request)))
        order = await self._db.run(self._orders.amend, request.path_params["id"], changes)
        self.counts.orders_amended += 1
        return raw_response(order)

    async def ship(self, request: Request) -> Response:
        body = json_object(await read_json(request))
        external_id = inputs.text(body.get("external_id"), "external_id").strip()
        if not external_id:
            raise inputs.invalid("'external_id' is required")
        shipment = {
            "external_id": external_id,
            "lines": inputs.shipment_lines(body.get("lines", [])),
            **inputs.shipment_details(body),
        }
        order, added = await self._db.run(
            self._orders.add_shipment, request.path_params["id"], shipment
        )
        self.counts.shipments_added += int(added)
        return raw_response(order, 201 if added else 200)

    async def product(self, request: Request) -> Response:
        body = json_object(await read_json(request))
        fields = product_fields(body)
        if not isinstance(fields.get("title"), str) or not fields["title"].strip():
            raise inputs.invalid("title is empty")
        raw = body.get("variants")
        if not isinstance(raw, list) or not raw:
            raise inputs.invalid("product has no variants")
        seen: set[str] = set()
        for number, variant in enumerate(raw, 1):
            sku = variant.get("sku") if isinstance(variant, dict) else None
            if not isinstance(sku, str) or not sku.strip():
                raise inputs.invalid(f"variant #{number} has no SKU")
            if sku in seen:
                raise inputs.invalid(f"SKU {sku!r} appears twice in this product")
            if variant.get("price") is None:
                raise inputs.invalid(f"variant {sku!r} has no price")
            seen.add(sku)
        variants = [variant_input(variant, new=True) for variant in raw]
        created = await self._db.run(self._store.create_product, fields, variants)
        self.counts.products_created += 1
        return raw_response(created, 201)


def _order(body: dict[str, Any]) -> dict[str, Any]:
    ref = inputs.text(body.get("channel_ref"), "channel_ref").strip()
    if not ref:
        raise inputs.invalid("'channel_ref' is required")
    customer_id = body.get("customer_id")
    if type(customer_id) is not int:
        raise inputs.invalid("'customer_id' must be a customer id (an integer)")
    return {
        "channel_ref": ref,
        "customer_id": customer_id,
        "lines": inputs.order_lines(body.get("lines"), priced=True),
        "currency": inputs.currency(body.get("currency")),
        "total": inputs.decimal(body.get("total"), "total"),
        "b2b": inputs.flag(body.get("b2b", False), "b2b"),
        "status": inputs.status(body.get("status", "open")),
        "shipping_address": inputs.address(
            body.get("shipping_address"), strict=True, key="shipping_address"
        ),
    }


def _amendment(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "lines" in body:
        changes["lines"] = inputs.order_lines(body["lines"], priced=True)
    if "total" in body:
        changes["total"] = inputs.decimal(body["total"], "total")
    if "status" in body:
        changes["status"] = inputs.status(body["status"])
    if "currency" in body:
        changes["currency"] = inputs.currency(body["currency"])
    if "shipping_address" in body:
        changes["shipping_address"] = inputs.address(
            body["shipping_address"], strict=True, key="shipping_address"
        )
    if not changes:
        raise inputs.invalid(
            "an amendment changes at least one of lines, total, status, currency, shipping_address"
        )
    return changes
