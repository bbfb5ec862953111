"""The emulator's API routes: the X-Series 2.0 paths the connector uses, plus API 0.9's
``POST /api/register_sales`` (sales cannot be created through 2.0; the 2.0 spec has no
create-sale path).

Documented (spec api-2.0.json and the "Pagination" guide): ``after``/``before`` version
bounds, ``page_size``, ``deleted=true`` to include soft-deleted rows, ``{"data": [...],
"version": {"min", "max"}}`` envelopes ordered by version, ``/products?sku=`` and
``?name=``/``family_name=`` ignoring every other parameter, ``/search`` with ``page_size`` <=
1000 and ``offset``, SKUs matched lower-cased there, fulfilment types SHIPPED / PICKED_UP,
401 ``{"error": "Access token is not valid"}``.
Assumed: the largest collection page is 1000 (larger ``page_size`` values are cut to it); an
empty page answers ``"version": {"min": 0, "max": 0}``; ``register_sales`` with an ``id`` that
exists replaces that sale (an upsert, as in API 0.9) and answers ``{"register_sale": {...}}``;
the product create answers the new ids, parent first; 404 bodies are
``{"error": "Not Found"}``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncwright.connectors.lightspeed_x.emulator.store import Row, page

if TYPE_CHECKING:
    from syncwright.connectors.lightspeed_x.emulator.app import Emulator

MAX_PAGE = 1000


class BadRequest(Exception):
    pass


def _int(value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"invalid integer {value!r}") from None


def _collection(request: Request, rows: list[Row], *, soft: bool = True) -> dict[str, Any]:
    q = request.query_params
    after = _int(q.get("after"), 0)
    before = _int(q.get("before"), 0) or None
    size = min(max(_int(q.get("page_size"), MAX_PAGE), 1), MAX_PAGE)
    if soft and q.get("deleted") != "true":
        rows = [r for r in rows if r.get("deleted_at") is None]
    return _envelope(page(rows, after, before, size))


def _envelope(data: list[Row]) -> dict[str, Any]:
    versions = [r["version"] for r in data]
    return {
        "data": data,
        "version": {"min": min(versions, default=0), "max": max(versions, default=0)},
    }


def api_routes(emu: Emulator) -> list[Route]:
    store = emu.store

    def one(row: Row | None) -> Any:
        if row is None:
            return JSONResponse({"error": "Not Found"}, status_code=404)
        return {"data": row}

    async def products(request: Request) -> Any:
        q = request.query_params
        if "sku" in q:
            return _envelope(
                [
                    r
                    for r in store.products.values()
                    if r["sku"] == q["sku"] and r["deleted_at"] is None
                ]
            )
        name = q.get("name") or q.get("family_name")
        if name is not None:
            rows = [
                r for r in store.products.values() if r["name"] == name and r["deleted_at"] is None
            ]
            return _envelope(sorted(rows, key=lambda r: r["version"]))
        return _collection(request, list(store.products.values()))

    async def product(request: Request) -> Any:
        return one(store.products.get(request.path_params["pid"]))

    async def create_product(request: Request) -> Any:
        body = await _json(request)
        if not isinstance(body.get("name"), str) or not body["name"]:
            raise BadRequest("name is required")
        variants = body.get("variants") or [body]
        specs = []
        for v in variants:
            options = {d["attribute_id"]: d["value"] for d in v.get("variant_definitions") or []}
            if v.get("sku") and store.by_sku(str(v["sku"])) is not None:
                return JSONResponse({"error": f"SKU {v['sku']} is already in use"}, status_code=422)
            specs.append(
                {
                    "sku": v.get("sku"),
                    "options": options,
                    "price": v.get("price_excluding_tax", 0),
                    "weight": v.get("weight"),
                }
            )
        ids = store.add_family(body["name"], specs, handle=body.get("handle"))
        return {"data": ids}

    async def product_inventory(request: Request) -> Any:
        pid = request.path_params["pid"]
        if pid not in store.products:
            return JSONResponse({"error": "Not Found"}, status_code=404)
        rows = [r for (p, _), r in store.inventory.items() if p == pid]
        return _collection(request, rows, soft=False)

    async def inventory(request: Request) -> Any:
        return _collection(request, list(store.inventory.values()), soft=False)

    async def customers(request: Request) -> Any:
        return _collection(request, list(store.customers.values()))

    async def customer(request: Request) -> Any:
        return one(store.customers.get(request.path_params["cid"]))

    async def create_customer(request: Request) -> Any:
        body = await _json(request)
        if "first_name" not in body or "last_name" not in body:
            raise BadRequest("first_name and last_name are required")
        return JSONResponse({"data": store.add_customer(body)}, status_code=201)

    async def sales(request: Request) -> Any:
        return _collection(request, list(store.sales.values()))

    async def sale(request: Request) -> Any:
        return one(store.sales.get(request.path_params["sid"]))

    async def fulfil(request: Request) -> Any:
        sid = request.path_params["sid"]
        body = await _json(request)
        if body.get("fulfillment_type") not in ("SHIPPED", "PICKED_UP"):
            raise BadRequest("fulfillment_type must be SHIPPED or PICKED_UP")
        if sid not in store.sales:
            return JSONResponse({"error": "Not Found"}, status_code=404)
        return {"data": store.fulfil(sid, body["fulfillment_type"])}

    async def fulfillments(request: Request) -> Any:
        return {"data": store.fulfillments.get(request.path_params["sid"], [])}

    async def register_sales(request: Request) -> Any:
        body = await _json(request)
        if str(body.get("register_id")) not in store.registers:
            raise BadRequest("register_id is not a register of this store")
        for line in body.get("register_sale_products") or []:
            if str(line.get("product_id")) not in store.products:
                raise BadRequest(f"unknown product_id {line.get('product_id')}")
        if body.get("customer_id") and str(body["customer_id"]) not in store.customers:
            raise BadRequest("unknown customer_id")
        row = store.upsert_sale(body)
        if emu.faults.lose_sale_answers > 0:
            emu.faults.lose_sale_answers -= 1
            return JSONResponse({"error": "Internal Server Error"}, status_code=500)
        return {
            "register_sale": {
                "id": row["id"],
                "invoice_number": row["invoice_number"],
                "status": row["status"],
            }
        }

    async def search(request: Request) -> Any:
        q = request.query_params
        kind = q.get("type")
        size = min(max(_int(q.get("page_size"), 100), 1), MAX_PAGE)
        offset = max(_int(q.get("offset"), 0), 0)
        if kind == "products":
            wanted = q.getlist("sku")
            rows = [
                r
                for r in store.products.values()
                if r["sku"] is not None and r["sku"].lower() in wanted
            ]
        elif kind == "customers":
            rows = list(store.customers.values())
            if "email" in q:
                rows = [r for r in rows if (r["email"] or "").lower() == q["email"].lower()]
            if "customer_code" in q:
                rows = [r for r in rows if r["customer_code"] == q["customer_code"]]
        elif kind == "sales":
            rows = list(store.sales.values())
            if "invoice_number" in q:
                rows = [r for r in rows if r["invoice_number"] == q["invoice_number"]]
        else:
            raise BadRequest("type must be sales, products or customers")
        if q.get("deleted") != "true":
            rows = [r for r in rows if r.get("deleted_at") is None]
        rows.sort(key=lambda r: r["version"])
        return {"data": rows[offset : offset + size]}

    async def outlets(request: Request) -> Any:
        return _collection(request, list(store.outlets.values()))

    async def registers(request: Request) -> Any:
        return _collection(request, list(store.registers.values()))

    async def retailer(request: Request) -> Any:
        return {"data": store.retailer}

    v2 = "/api/2.0"
    table: list[tuple[str, Any, str]] = [
        (f"{v2}/products", products, "GET"),
        (f"{v2}/products", create_product, "POST"),
        (f"{v2}/products/{{pid}}", product, "GET"),
        (f"{v2}/products/{{pid}}/inventory", product_inventory, "GET"),
        (f"{v2}/inventory", inventory, "GET"),
        (f"{v2}/customers", customers, "GET"),
        (f"{v2}/customers", create_customer, "POST"),
        (f"{v2}/customers/{{cid}}", customer, "GET"),
        (f"{v2}/sales", sales, "GET"),
        (f"{v2}/sales/{{sid}}", sale, "GET"),
        (f"{v2}/sales/{{sid}}/fulfill", fulfil, "POST"),
        (f"{v2}/sales/{{sid}}/fulfillments", fulfillments, "GET"),
        (f"{v2}/search", search, "GET"),
        (f"{v2}/outlets", outlets, "GET"),
        (f"{v2}/registers", registers, "GET"),
        (f"{v2}/retailer", retailer, "GET"),
        ("/api/register_sales", register_sales, "POST"),
    ]
    return [Route(path, emu.guard(handler), methods=[method]) for path, handler, method in table]


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise BadRequest("the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object")
    return body


def error_response(exc: BadRequest) -> Response:
    return JSONResponse({"error": "Bad Request", "message": str(exc)}, status_code=400)
