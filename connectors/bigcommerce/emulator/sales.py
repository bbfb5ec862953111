"""Customers v3, orders v2, store v2 and hooks v3 routes of the emulator.

Documented (platform-apis.md §6.2, §6.4): ``GET /v3/customers`` with ``email:in``, ``id:in``,
``date_modified:min``; ``GET /v2/orders`` with ``min_date_modified``/``max_date_modified``
(RFC 2822 or ISO 8601), ``min_id``, ``email``, ``external_order_id``, ``sort=date_modified:asc``,
``limit``/``page``, an empty page as 204; order lines and shipments as sub-resources
``/v2/orders/{id}/products`` and ``/shipments``; v2 times in RFC 2822; ``POST /v3/hooks``.
Assumed: the customers ``sort`` takes ``date_modified:asc``; v2 ties sort by id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncwright.connectors.bigcommerce.emulator.shapes import (
    Refusal,
    in_range,
    ints,
    v2_list,
    v3_list,
    when,
)
from syncwright.connectors.bigcommerce.emulator.store import Conflict, iso, rfc2822

if TYPE_CHECKING:
    from syncwright.connectors.bigcommerce.emulator.app import Emulator


def sales_routes(emu: Emulator) -> list[Route]:
    store = emu.store

    def customer_shape(c: dict[str, Any]) -> dict[str, Any]:
        return {
            **c,
            "date_created": iso(c["date_created"]),
            "date_modified": iso(c["date_modified"]),
        }

    async def customers(request: Request) -> Response:
        if request.method == "POST":
            body = await emu.json(request)
            if not isinstance(body, list) or not 1 <= len(body) <= 10:
                raise Refusal(422, "expected an array of 1 to 10 customers")
            try:
                made = [store.create_customer(item) for item in body]
            except Conflict as exc:
                raise Refusal(422, "Unable to create customer", {"email": str(exc)}) from exc
            return JSONResponse({"data": [customer_shape(c) for c in made], "meta": {}})
        q = request.query_params
        rows = sorted(store.customers.values(), key=lambda c: c["id"])
        if "email:in" in q:
            emails = {e.lower() for e in q["email:in"].split(",")}
            rows = [c for c in rows if c["email"].lower() in emails]
        if "id:in" in q:
            wanted = ints(q["id:in"])
            rows = [c for c in rows if c["id"] in wanted]
        rows = [
            c
            for c in rows
            if in_range(c["date_modified"], request, "date_modified:min", "date_modified:max")
        ]
        if q.get("sort") == "date_modified:asc":
            rows.sort(key=lambda c: (c["date_modified"], c["id"]))
        return v3_list(request, rows, customer_shape)

    def order_shape(o: dict[str, Any]) -> dict[str, Any]:
        oid = o["id"]
        return {
            **o,
            "date_created": rfc2822(o["date_created"]),
            "date_modified": rfc2822(o["date_modified"]),
            "products": {
                "url": f"{emu.url}/stores/{emu.store_hash}/v2/orders/{oid}/products",
                "resource": f"/orders/{oid}/products",
            },
            "shipping_addresses": {"resource": f"/orders/{oid}/shippingaddresses"},
        }

    async def orders(request: Request) -> Response:
        q = request.query_params
        rows = sorted(store.orders.values(), key=lambda o: o["id"])
        if "min_id" in q:
            rows = [o for o in rows if o["id"] >= int(q["min_id"])]
        if "max_id" in q:
            rows = [o for o in rows if o["id"] <= int(q["max_id"])]
        if "external_order_id" in q:
            rows = [o for o in rows if o["external_order_id"] == q["external_order_id"]]
        if "min_date_modified" in q:
            rows = [o for o in rows if o["date_modified"] >= when(q["min_date_modified"])]
        if "max_date_modified" in q:
            rows = [o for o in rows if o["date_modified"] <= when(q["max_date_modified"])]
        sort = q.get("sort", "id:asc")
        if sort not in ("id:asc", "date_modified:asc", "date_modified:desc", "id:desc"):
            raise Refusal(400, f"invalid sort {sort}")
        field, _, direction = sort.partition(":")
        rows.sort(key=lambda o: (o[field], o["id"]), reverse=direction == "desc")
        return v2_list(request, rows, order_shape)

    def order_of(request: Request) -> dict[str, Any]:
        order = store.orders.get(int(request.path_params["oid"]))
        if order is None:
            raise Refusal(404, "The requested resource was not found.")
        return order

    async def order(request: Request) -> Response:
        return JSONResponse(order_shape(order_of(request)))

    async def order_products(request: Request) -> Response:
        lines = store.order_lines[order_of(request)["id"]]
        return v2_list(request, lines, lambda x: x) if lines else Response(status_code=204)

    async def shipments(request: Request) -> Response:
        return v2_list(request, store.shipments[order_of(request)["id"]], lambda x: x)

    async def store_info(request: Request) -> Response:
        return JSONResponse(
            {
                "id": emu.store_hash,
                "name": "Emulated store",
                "currency": store.currency,
                "weight_units": "KGS",
            }
        )

    async def hooks(request: Request) -> Response:
        if request.method == "POST":
            body = await emu.json(request)
            hid = store.next_id("hook")
            store.hooks[hid] = {
                "id": hid,
                "scope": body["scope"],
                "destination": body["destination"],
                "is_active": body.get("is_active", True),
                "headers": body.get("headers") or {},
            }
            return JSONResponse({"data": store.hooks[hid], "meta": {}})
        return v3_list(request, list(store.hooks.values()), lambda h: h)

    v2, v3 = "/stores/{hash}/v2", "/stores/{hash}/v3"
    return [
        Route(f"{v3}/customers", customers, methods=["GET", "POST"]),
        Route(f"{v2}/orders", orders, methods=["GET"]),
        Route(f"{v2}/orders/{{oid:int}}", order, methods=["GET"]),
        Route(f"{v2}/orders/{{oid:int}}/products", order_products, methods=["GET"]),
        Route(f"{v2}/orders/{{oid:int}}/shipments", shipments, methods=["GET"]),
        Route(f"{v2}/store", store_info, methods=["GET"]),
        Route(f"{v3}/hooks", hooks, methods=["GET", "POST"]),
    ]
