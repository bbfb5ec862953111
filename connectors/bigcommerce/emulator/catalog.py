"""Catalog v3 and inventory v3 routes of the emulator.

Documented (platform-apis.md §6.2): ``GET /v3/catalog/products`` with ``id``, ``id:in``,
``id:min``, ``sku``, ``sku:in``, ``date_modified``, ``date_modified:min``/``:max``,
``include=variants,custom_fields``, ``include_fields``, ``sort``/``direction``, ``limit`` <= 250;
batch ``PUT /v3/catalog/products`` of at most 10 (207 on partial failure); ``DELETE`` by
``id:in`` (<= 250); ``PUT /v3/catalog/variants`` of at most 50; ``GET /v3/inventory/locations``;
``GET /v3/inventory/items`` (<= 1,000); ``PUT /v3/inventory/adjustments/absolute`` of at most
2,000 items. Assumed: ties in a sort fall back to id; variants are created by option display
name and label (options made on the fly); inventory items filter by ``variant_id:in`` and
``sku:in``; a batch over its limit is a 413.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncwright.connectors.bigcommerce.emulator.shapes import Refusal, in_range, ints, v3_list
from syncwright.connectors.bigcommerce.emulator.store import Conflict, iso

if TYPE_CHECKING:
    from syncwright.connectors.bigcommerce.emulator.app import Emulator

SORTS = {"id", "name", "sku", "price", "date_modified"}


def catalog_routes(emu: Emulator) -> list[Route]:
    store = emu.store

    def variant_shape(v: dict[str, Any]) -> dict[str, Any]:
        return {
            **v,
            "inventory_level": sum(q for (vid, _), q in store.levels.items() if vid == v["id"]),
        }

    def product_shape(p: dict[str, Any], include: set[str], fields: set[str]) -> dict[str, Any]:
        out = {
            **p,
            "date_created": iso(p["date_created"]),
            "date_modified": iso(p["date_modified"]),
        }
        out.pop("custom_fields")
        if fields:
            out = {k: v for k, v in out.items() if k in fields or k == "id"}
        if "variants" in include:
            out["variants"] = [variant_shape(v) for v in store.variants_of(p["id"])]
        if "custom_fields" in include:
            out["custom_fields"] = p["custom_fields"]
        return out

    async def products(request: Request) -> Response:
        if request.method == "POST":
            body = await emu.json(request)
            try:
                created = store.create_product(body)
            except Conflict as exc:
                raise Refusal(409, str(exc)) from exc
            return JSONResponse(
                {"data": product_shape(created, {"variants", "custom_fields"}, set()), "meta": {}}
            )
        if request.method == "PUT":
            return await batch_products(request)
        if request.method == "DELETE":
            ids = ints(request.query_params.get("id:in", ""))
            if not ids or len(ids) > 250:
                raise Refusal(422, "id:in must list 1 to 250 ids")
            for pid in ids & set(store.products):
                store.delete_product(pid)
            return Response(status_code=204)
        q = request.query_params
        rows = list(store.products.values())
        if "id" in q:
            rows = [p for p in rows if p["id"] == int(q["id"])]
        if "id:in" in q:
            wanted = ints(q["id:in"])
            rows = [p for p in rows if p["id"] in wanted]
        if "id:min" in q:
            rows = [p for p in rows if p["id"] >= int(q["id:min"])]
        if "sku" in q:
            rows = [p for p in rows if p["sku"] == q["sku"]]
        if "sku:in" in q:
            skus = set(q["sku:in"].split(","))
            rows = [p for p in rows if p["sku"] in skus]
        rows = [
            p
            for p in rows
            if in_range(
                p["date_modified"],
                request,
                "date_modified:min",
                "date_modified:max",
                "date_modified",
            )
        ]
        sort = q.get("sort", "id")
        if sort not in SORTS:
            raise Refusal(422, f"invalid sort {sort!r}")
        rows.sort(key=lambda p: (p[sort], p["id"]), reverse=q.get("direction") == "desc")
        include = set(q.get("include", "").split(","))
        fields = set(filter(None, q.get("include_fields", "").split(",")))
        return v3_list(request, rows, lambda p: product_shape(p, include, fields))

    async def batch_products(request: Request) -> Response:
        body = await emu.json(request)
        if not isinstance(body, list):
            raise Refusal(422, "expected an array of products")
        if len(body) > 10:
            raise Refusal(413, "Batches are limited to 10 products")
        done, errors = [], []
        for item in body:
            pid = item.get("id")
            if pid not in store.products:
                errors.append(
                    {"status": 404, "title": f"product {pid} not found", "errors": {"id": str(pid)}}
                )
                continue
            try:
                done.append(product_shape(store.update_product(pid, item), set(), set()))
            except Conflict as exc:
                errors.append({"status": 409, "title": str(exc), "errors": {"id": str(pid)}})
        status = 200 if not errors else 207 if done else 422
        return JSONResponse({"data": done, "errors": errors, "meta": {}}, status_code=status)

    async def product_variants(request: Request) -> Response:
        pid = int(request.path_params["pid"])
        if pid not in store.products:
            raise Refusal(404, "The product was not found.")
        body = await emu.json(request)
        try:
            created = store.add_variant(pid, body)
        except Conflict as exc:
            raise Refusal(409, str(exc)) from exc
        return JSONResponse({"data": variant_shape(created), "meta": {}})

    async def product_variant(request: Request) -> Response:
        vid = int(request.path_params["vid"])
        if vid not in store.variants:
            raise Refusal(404, "The variant was not found.")
        store.delete_variant(vid)
        return Response(status_code=204)

    async def variants(request: Request) -> Response:
        if request.method == "PUT":
            body = await emu.json(request)
            if not isinstance(body, list):
                raise Refusal(422, "expected an array of variants")
            if len(body) > 50:
                raise Refusal(413, "The maximum items allowed in the array is 50")
            done, errors = [], []
            for item in body:
                vid = item.get("id")
                if vid not in store.variants:
                    errors.append(
                        {
                            "status": 404,
                            "title": f"variant {vid} not found",
                            "errors": {"id": str(vid)},
                        }
                    )
                    continue
                try:
                    done.append(variant_shape(store.update_variant(vid, item)))
                except Conflict as exc:
                    errors.append({"status": 409, "title": str(exc), "errors": {"id": str(vid)}})
            status = 200 if not errors else 207 if done else 422
            return JSONResponse({"data": done, "errors": errors, "meta": {}}, status_code=status)
        q = request.query_params
        rows = sorted(store.variants.values(), key=lambda v: v["id"])
        if "sku:in" in q:
            skus = set(q["sku:in"].split(","))
            rows = [v for v in rows if v["sku"] in skus]
        if "id:in" in q:
            wanted = ints(q["id:in"])
            rows = [v for v in rows if v["id"] in wanted]
        if "product_id:in" in q:
            pids = ints(q["product_id:in"])
            rows = [v for v in rows if v["product_id"] in pids]
        return v3_list(request, rows, variant_shape)

    async def locations(request: Request) -> Response:
        return v3_list(
            request, sorted(store.locations.values(), key=lambda x: x["id"]), lambda x: x
        )

    async def items(request: Request) -> Response:
        q = request.query_params
        rows = sorted(store.variants.values(), key=lambda v: v["id"])
        if "variant_id:in" in q:
            wanted = ints(q["variant_id:in"])
            rows = [v for v in rows if v["id"] in wanted]
        if "sku:in" in q:
            skus = set(q["sku:in"].split(","))
            rows = [v for v in rows if v["sku"] in skus]

        def shape(v: dict[str, Any]) -> dict[str, Any]:
            return {
                "identity": {
                    "sku": v["sku"],
                    "variant_id": v["id"],
                    "product_id": v["product_id"],
                    "sku_id": None,
                },
                "locations": [
                    {
                        "location_id": lid,
                        "location_code": loc["code"],
                        "location_name": loc["label"],
                        "available_to_sell": store.levels.get((v["id"], lid), 0),
                        "total_inventory_onhand": store.levels.get((v["id"], lid), 0),
                    }
                    for lid, loc in sorted(store.locations.items())
                ],
            }

        return v3_list(request, rows, shape, maximum=1000)

    async def absolute(request: Request) -> Response:
        body = await emu.json(request)
        rows = body.get("items") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not rows:
            raise Refusal(422, "items is required")
        if len(rows) > 2000:
            raise Refusal(413, "At most 2000 items can be adjusted at once")
        checked = []
        for n, row in enumerate(rows):  # all or nothing, like a transaction
            variant = (
                store.variants.get(row["variant_id"])
                if "variant_id" in row
                else store.by_sku(str(row.get("sku")))
            )
            if variant is None or row.get("location_id") not in store.locations:
                raise Refusal(422, "Invalid items", {f"items.{n}": "unknown variant or location"})
            checked.append((variant["id"], row["location_id"], int(row["quantity"])))
        for vid, lid, quantity in checked:
            store.set_level(vid, lid, quantity)
        return JSONResponse({"transaction_id": f"tx-{len(checked)}"})

    async def pricelists(request: Request) -> Response:
        if request.method == "POST":
            body = await emu.json(request)
            name = str(body.get("name") or "")
            if any(p["name"] == name for p in store.pricelists.values()):
                raise Refusal(409, f"A price list named {name} exists")
            plid = store.next_id("pricelist")
            store.pricelists[plid] = {"id": plid, "name": name, "active": True}
            return JSONResponse({"data": store.pricelists[plid], "meta": {}})
        rows = list(store.pricelists.values())
        if "name" in request.query_params:
            rows = [p for p in rows if p["name"] == request.query_params["name"]]
        return v3_list(request, rows, lambda p: p)

    async def records(request: Request) -> Response:
        plid = int(request.path_params["plid"])
        body = await emu.json(request)
        if plid not in store.pricelists or not isinstance(body, list):
            raise Refusal(404, "The price list was not found.")
        if len(body) > 1000:
            raise Refusal(413, "At most 1000 records per request")
        for row in body:
            store.records[(plid, int(row["variant_id"]))] = {
                "variant_id": int(row["variant_id"]),
                "price": float(row["price"]),
                "currency": row.get("currency", store.currency),
            }
        return JSONResponse({"data": [], "meta": {}})

    v3 = "/stores/{hash}/v3"
    return [
        Route(f"{v3}/catalog/products", products, methods=["GET", "POST", "PUT", "DELETE"]),
        Route(f"{v3}/catalog/products/{{pid:int}}/variants", product_variants, methods=["POST"]),
        Route(
            f"{v3}/catalog/products/{{pid:int}}/variants/{{vid:int}}",
            product_variant,
            methods=["DELETE"],
        ),
        Route(f"{v3}/catalog/variants", variants, methods=["GET", "PUT"]),
        Route(f"{v3}/inventory/locations", locations, methods=["GET"]),
        Route(f"{v3}/inventory/items", items, methods=["GET"]),
        Route(f"{v3}/inventory/adjustments/absolute", absolute, methods=["PUT"]),
        Route(f"{v3}/pricelists", pricelists, methods=["GET", "POST"]),
        Route(f"{v3}/pricelists/{{plid:int}}/records", records, methods=["PUT"]),
    ]
