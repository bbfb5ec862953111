"""The emulator's test controls under ``/_emulator/`` (not part of Shopify's API).

They let a test or benchmark act as shoppers and staff would: place, fulfil and cancel orders,
change stock at the shop, edit customers; and set faults, bucket limits and the webhook URL,
read the catalogue (with each variant's fixed price in every price list), the orders and
statistics, and fetch bulk results. Same access token as the API.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncwright.connectors.shopify.emulator.store import iso

if TYPE_CHECKING:
    from syncwright.connectors.shopify.emulator.app import Emulator


def control_routes(emu: Emulator) -> list[Route]:
    shop = emu.shop

    async def body(request: Request) -> dict[str, Any]:
        data = json.loads(await request.body() or b"{}")
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    def guarded(handler: Any) -> Any:
        async def wrapped(request: Request) -> Response:
            if not emu.authorised(request):
                return JSONResponse({"errors": "unauthorised"}, status_code=401)
            try:
                return JSONResponse(await handler(request))
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse({"errors": f"bad request: {exc!r}"}, status_code=400)

        return wrapped

    async def place(request: Request) -> Any:
        data = await body(request)
        order = shop.place_order(
            list(data["lines"]),
            email=data.get("email"),
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            shipping=data.get("shipping"),
        )
        return {"id": order["id"], "name": order["name"]}

    async def fulfil(request: Request) -> Any:
        data = await body(request)
        order = shop.fulfill(
            int(request.path_params["oid"]), data.get("company", ""), data.get("number", "")
        )
        return {"id": order["id"]}

    async def cancel(request: Request) -> Any:
        return {"id": shop.cancel(int(request.path_params["oid"]))["id"]}

    async def customer(request: Request) -> Any:
        data = await body(request)
        updated = shop.update_customer(int(request.path_params["cid"]), **data)
        return {"id": updated["id"]}

    async def stock(request: Request) -> Any:
        data = await body(request)
        item = shop.item_by_sku(str(data["sku"]))
        if item is None:
            raise KeyError(f"no item with SKU {data['sku']}")
        location = _location(data.get("location"))
        shop.set_available(item["id"], location, int(data["available"]))
        return {"ok": True}

    def _location(name: Any) -> int:
        if name is None:
            return shop.primary_location
        for lid, loc in shop.locations.items():
            if loc["name"] == name:
                return lid
        raise KeyError(f"no location {name!r}")

    async def location(request: Request) -> Any:
        data = await body(request)
        return {"id": f"gid://shopify/Location/{shop.add_location(str(data['name']))}"}

    async def faults(request: Request) -> Any:
        values = await body(request)
        emu.faults.update(values)
        if "bulk_fail_after" in values:  # a bulk mutation fails after N lines (null: never)
            after = values["bulk_fail_after"]
            emu.imports.fail_after = None if after is None else int(after)
        if "bulk_hold_seconds" in values:  # bulk mutations wait before their first line
            emu.imports.hold_seconds = float(values["bulk_hold_seconds"])
        return {"ok": True}

    async def bucket(request: Request) -> Any:
        data = await body(request)
        emu.bucket.size = float(data.get("size", emu.bucket.size))
        emu.bucket.restore_rate = float(data.get("restore_rate", emu.bucket.restore_rate))
        if "available" in data:
            emu.bucket.refill()
            emu.bucket.available = float(data["available"])
        return emu.bucket.status()

    async def webhooks(request: Request) -> Any:
        emu.webhooks.url = (await body(request)).get("url")
        return {"ok": True}

    async def settings(request: Request) -> Any:
        data = await body(request)
        shop.currency = str(data.get("currency", shop.currency))
        return {"currency": shop.currency}

    async def products(request: Request) -> Any:
        out = []
        for p in shop.products.values():
            source = p["metafields"].get(("syncwright", "source_id"))
            out.append(
                {
                    "id": p["id"],
                    "source_id": source["value"] if source else None,
                    "title": p["title"],
                    "handle": p["handle"],
                    "status": p["status"],
                    "updated_at": iso(p["updated_at"]),
                    "variants": [
                        {
                            "sku": v["sku"],
                            "price": v["price"],
                            "compare_at_price": v["compareAtPrice"],
                            "list_prices": {
                                pl["name"]: str(pl["prices"][v["id"]][0])
                                for pl in shop.price_lists.values()
                                if v["id"] in pl["prices"]
                            },
                            "levels": {
                                shop.locations[lid]["name"]: q
                                for lid, q in shop.items[v["item"]]["levels"].items()
                            },
                        }
                        for v in shop.variants_of(p)
                    ],
                }
            )
        return {"products": out}

    async def orders(request: Request) -> Any:
        return {
            "orders": [
                {
                    "id": o["id"],
                    "email": o["email"],
                    "cancelled": o["cancelled_at"] is not None,
                    "fulfillments": len(o["fulfillments"]),
                    "lines": [{"sku": ln["sku"], "quantity": ln["quantity"]} for ln in o["lines"]],
                }
                for o in shop.orders.values()
            ]
        }

    async def stats(request: Request) -> Any:
        return {
            **asdict(emu.stats),
            "bucket": emu.bucket.status(),
            "bulk_lines": emu.imports.lines_run,
            "bulk_operations": {
                str(op["id"]): f"{op['type']} {op['status']}" for op in emu.bulk.operations.values()
            },
            "webhooks_delivered": len(emu.webhooks.delivered),
            "webhooks_failed": len(emu.webhooks.failed),
            "webhook_retries": sum(
                d.attempts - 1 for d in emu.webhooks.delivered + emu.webhooks.failed
            ),
            "orders": len(shop.orders),
            "customers": len(shop.customers),
        }

    async def bulk_file(request: Request) -> Response:
        op = int(request.path_params["op"])
        if op not in emu.bulk.files:
            return JSONResponse({"errors": "Not Found"}, status_code=404)
        return Response(emu.bulk.files[op], media_type="application/jsonl")

    return [
        Route("/_emulator/orders", guarded(place), methods=["POST"]),
        Route("/_emulator/orders", guarded(orders), methods=["GET"]),
        Route("/_emulator/orders/{oid:int}/fulfill", guarded(fulfil), methods=["POST"]),
        Route("/_emulator/orders/{oid:int}/cancel", guarded(cancel), methods=["POST"]),
        Route("/_emulator/customers/{cid:int}", guarded(customer), methods=["POST"]),
        Route("/_emulator/stock", guarded(stock), methods=["POST"]),
        Route("/_emulator/locations", guarded(location), methods=["POST"]),
        Route("/_emulator/faults", guarded(faults), methods=["POST"]),
        Route("/_emulator/bucket", guarded(bucket), methods=["POST"]),
        Route("/_emulator/webhooks", guarded(webhooks), methods=["POST"]),
        Route("/_emulator/settings", guarded(settings), methods=["POST"]),
        Route("/_emulator/products", guarded(products), methods=["GET"]),
        Route("/_emulator/stats", guarded(stats), methods=["GET"]),
        # Bulk result URLs are pre-signed on Shopify: no token needed.
        Route("/_emulator/bulk/{op:int}.jsonl", bulk_file, methods=["GET"]),
    ]
