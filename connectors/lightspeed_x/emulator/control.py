"""The emulator's test controls under ``/_emulator/`` (not part of X-Series' API).

They act as store staff would (seed a catalogue, add outlets, change stock, products and
customers, delete products) and set the test knobs (faults, the rate-limit window), and read
statistics and the recorded exchanges. Same bearer token as the API; they spend no calls.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncwright.connectors.lightspeed_x.emulator.store import Store

if TYPE_CHECKING:
    from syncwright.connectors.lightspeed_x.emulator.app import Emulator


def seed(store: Store, families: int, variants: int, outlets: int = 1) -> None:
    """``families`` product families of ``variants`` variants, stock 5 everywhere."""
    while len(store.outlets) < outlets:
        store.add_outlet(f"Outlet {len(store.outlets) + 1}")
    stock = {oid: 5 for oid in store.outlets}
    for n in range(families):
        sizes = ["S", "M", "L", "XL", "XXL"]
        specs = [
            {
                "sku": f"LX-{n:05d}-{v}",
                "options": {"Size": sizes[v % 5] + ("" if v < 5 else str(v))}
                if variants > 1
                else {},
                "price": 10 + n % 7 + v,
                "weight": 200 + v,
                "stock": stock,
            }
            for v in range(variants)
        ]
        store.add_family(f"Family {n:05d}", specs)


def control_routes(emu: Emulator) -> list[Route]:
    store = emu.store

    async def body(request: Request) -> dict[str, Any]:
        data = json.loads(await request.body() or b"{}")
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    def guarded(handler: Any) -> Any:
        async def wrapped(request: Request) -> Response:
            if not emu.authorised(request):
                return JSONResponse({"error": "unauthorised"}, status_code=401)
            try:
                return JSONResponse(await handler(request))
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse({"error": f"bad request: {exc!r}"}, status_code=400)

        return wrapped

    async def seed_route(request: Request) -> Any:
        data = await body(request)
        seed(
            store,
            int(data.get("families", 0)),
            int(data.get("variants", 2)),
            int(data.get("outlets", 1)),
        )
        return {"products": len(store.products), "outlets": len(store.outlets)}

    async def family(request: Request) -> Any:
        data = await body(request)
        ids = store.add_family(str(data["name"]), list(data["variants"]), handle=data.get("handle"))
        return {"ids": ids}

    async def outlet(request: Request) -> Any:
        return {"id": store.add_outlet(str((await body(request))["name"]))}

    async def product(request: Request) -> Any:
        data = await body(request)
        pid = request.path_params["pid"]
        if data.pop("delete", False):
            store.delete_product(pid)
            return {"id": pid}
        return {"id": store.update_product(pid, **data)["id"]}

    async def stock(request: Request) -> Any:
        data = await body(request)
        row = store.by_sku(str(data["sku"]))
        if row is None:
            raise KeyError(f"no product with SKU {data['sku']}")
        oid = (
            store.outlet_named(str(data["outlet"]))
            if "outlet" in data
            else next(iter(store.outlets))
        )
        store.set_level(row["id"], oid, int(data["amount"]))
        return {"ok": True}

    async def customer(request: Request) -> Any:
        data = await body(request)
        cid = request.path_params.get("cid")
        if cid is None:
            return {"id": store.add_customer(data)["id"]}
        return {"id": store.update_customer(cid, **data)["id"]}

    async def faults(request: Request) -> Any:
        emu.faults.update(await body(request))
        return {"ok": True}

    async def window(request: Request) -> Any:
        data = await body(request)
        if "limit" in data:
            emu.limit.override = None if data["limit"] is None else int(data["limit"])
        if data.get("exhaust"):
            emu.limit.exhaust()
        return {"limit": emu.limit.limit, "used": emu.limit.used}

    async def webhooks(request: Request) -> Any:
        data = await body(request)
        emu.webhooks.url = data.get("url")
        emu.webhooks.omit_type = bool(data.get("omit_type", False))
        return {"ok": True}

    async def oauth(request: Request) -> Any:
        """Register an add-on and a refresh token; or expire every access token."""
        data = await body(request)
        if data.get("expire_access"):
            emu.oauth.access.clear()
        if "client_id" in data:
            emu.oauth.clients[str(data["client_id"])] = str(data["client_secret"])
            emu.oauth.refresh[str(data["refresh_token"])] = str(data["client_id"])
        if "ttl" in data:
            emu.oauth.ttl = float(data["ttl"])
        return {"issued": emu.oauth.issued}

    async def stats(request: Request) -> Any:
        return {
            "calls": dict(emu.calls),
            "total": sum(emu.calls.values()),
            "refused": emu.limit.refused,
            "window_used": emu.limit.used,
            "window_limit": emu.limit.limit,
            "products": len(store.products),
            "customers": len(store.customers),
            "sales": len(store.sales),
            "webhooks_delivered": len(emu.webhooks.delivered),
            "webhooks_failed": len(emu.webhooks.failed),
        }

    async def sales(request: Request) -> Any:
        return {"sales": list(store.sales.values()), "fulfillments": store.fulfillments}

    async def catalogue(request: Request) -> Any:
        names = {oid: row["name"] for oid, row in store.outlets.items()}
        return {
            "products": list(store.products.values()),
            "stock": [
                {"product_id": p, "outlet": names[o], "amount": r["inventory_level"]}
                for (p, o), r in store.inventory.items()
            ],
        }

    return [
        Route("/_emulator/seed", guarded(seed_route), methods=["POST"]),
        Route("/_emulator/families", guarded(family), methods=["POST"]),
        Route("/_emulator/outlets", guarded(outlet), methods=["POST"]),
        Route("/_emulator/products/{pid}", guarded(product), methods=["POST"]),
        Route("/_emulator/stock", guarded(stock), methods=["POST"]),
        Route("/_emulator/customers", guarded(customer), methods=["POST"]),
        Route("/_emulator/customers/{cid}", guarded(customer), methods=["POST"]),
        Route("/_emulator/faults", guarded(faults), methods=["POST"]),
        Route("/_emulator/window", guarded(window), methods=["POST"]),
        Route("/_emulator/webhooks", guarded(webhooks), methods=["POST"]),
        Route("/_emulator/oauth", guarded(oauth), methods=["POST"]),
        Route("/_emulator/stats", guarded(stats), methods=["GET"]),
        Route("/_emulator/sales", guarded(sales), methods=["GET"]),
        Route("/_emulator/catalogue", guarded(catalogue), methods=["GET"]),
    ]
