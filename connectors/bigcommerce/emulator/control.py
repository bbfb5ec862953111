"""The emulator's test controls under ``/_emulator/`` (not part of BigCommerce's API).

They act as shoppers and staff would (place and ship orders, change stock, add locations and
customers, edit or delete products in the control panel) and as the test bench does (fault
switches, the quota and "another app" spending from it, webhook subscriptions, statistics, a
view of the catalogue). Same X-Auth-Token as the API.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncwright.connectors.bigcommerce.emulator.store import iso

if TYPE_CHECKING:
    from syncwright.connectors.bigcommerce.emulator.app import Emulator


def control_routes(emu: Emulator) -> list[Route]:
    store = emu.store

    def guarded(handler: Any) -> Any:
        async def wrapped(request: Request) -> Response:
            if not emu.authorised(request):
                return JSONResponse({"errors": "unauthorised"}, status_code=401)
            try:
                data = json.loads(await request.body() or b"{}")
                return JSONResponse(await handler(request, data))
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse({"errors": f"bad request: {exc!r}"}, status_code=400)

        return wrapped

    async def place(request: Request, data: dict[str, Any]) -> Any:
        oid = store.place_order(
            list(data["lines"]), str(data["email"]), first_name=data.get("first_name", "Ann")
        )
        return {"id": oid}

    async def ship(request: Request, data: dict[str, Any]) -> Any:
        oid = int(request.path_params["oid"])
        return {"id": store.ship(oid, data.get("carrier", ""), data.get("tracking", ""))}

    async def amend(request: Request, data: dict[str, Any]) -> Any:
        oid = int(request.path_params["oid"])
        store.amend(oid, {str(k): int(v) for k, v in data["quantities"].items()})
        return {"id": oid}

    async def stock(request: Request, data: dict[str, Any]) -> Any:
        variant = store.by_sku(str(data["sku"]))
        if variant is None:
            raise KeyError(f"no variant with SKU {data['sku']}")
        lid = next(
            lid
            for lid, loc in store.locations.items()
            if loc["label"] == data.get("location", "Default location")
        )
        store.set_level(variant["id"], lid, int(data["quantity"]))
        return {"ok": True}

    async def location(request: Request, data: dict[str, Any]) -> Any:
        return {"id": store.add_location(str(data["label"]))}

    async def product(request: Request, data: dict[str, Any]) -> Any:
        """Create (no id), edit (id + fields) or delete (id + "delete": true) a product."""
        if "id" not in data:
            return {"id": store.create_product(data)["id"]}
        pid = int(data["id"])
        if data.get("delete"):
            store.delete_product(pid)
        else:
            store.update_product(pid, {k: v for k, v in data.items() if k != "id"})
        return {"id": pid}

    async def faults(request: Request, data: dict[str, Any]) -> Any:
        emu.faults.update(data)
        return {"ok": True}

    async def quota(request: Request, data: dict[str, Any]) -> Any:
        if "quota" in data:
            emu.quota.quota = int(data["quota"])
        if "other_app_share" in data:
            emu.quota.other_app_share = float(data["other_app_share"])
        if "spend" in data:  # another app spends this many calls now
            emu.quota.spend_other(int(data["spend"]))
        return emu.quota.headers()

    async def hooks(request: Request, data: dict[str, Any]) -> Any:
        emu.subscribe(str(data["url"]))
        emu.sender.duplicates = int(data.get("duplicates", 1))
        return {"ok": True}

    async def stats(request: Request, data: dict[str, Any]) -> Any:
        return emu.stats()

    async def catalogue(request: Request, data: dict[str, Any]) -> Any:
        out = []
        for p in store.products.values():
            out.append(
                {
                    "id": p["id"],
                    "sku": p["sku"],
                    "name": p["name"],
                    "is_visible": p["is_visible"],
                    "date_modified": iso(p["date_modified"]),
                    "variants": [
                        {
                            "id": v["id"],
                            "sku": v["sku"],
                            "price": v["price"],
                            "levels": {
                                store.locations[lid]["label"]: q
                                for (vid, lid), q in store.levels.items()
                                if vid == v["id"]
                            },
                        }
                        for v in store.variants_of(p["id"])
                    ],
                }
            )
        return {
            "products": out,
            "pricelists": list(store.pricelists.values()),
            "records": len(store.records),
        }

    return [
        Route("/_emulator/orders", guarded(place), methods=["POST"]),
        Route("/_emulator/orders/{oid:int}/ship", guarded(ship), methods=["POST"]),
        Route("/_emulator/orders/{oid:int}/amend", guarded(amend), methods=["POST"]),
        Route("/_emulator/stock", guarded(stock), methods=["POST"]),
        Route("/_emulator/locations", guarded(location), methods=["POST"]),
        Route("/_emulator/products", guarded(product), methods=["POST"]),
        Route("/_emulator/faults", guarded(faults), methods=["POST"]),
        Route("/_emulator/quota", guarded(quota), methods=["POST"]),
        Route("/_emulator/hooks", guarded(hooks), methods=["POST"]),
        Route("/_emulator/stats", guarded(stats), methods=["GET"]),
        Route("/_emulator/catalogue", guarded(catalogue), methods=["GET"]),
    ]
