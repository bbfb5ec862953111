"""The emulator's test controls under ``/_emulator/`` (no auth: it listens on loopback)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from syncwright.connectors.sparklayer.emulator.app import Emulator


def control_routes(emu: Emulator) -> list[Route]:
    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        data = json.loads(raw) if raw else {}
        if not isinstance(data, dict):
            raise ValueError("the body must be an object")
        return data

    async def state(request: Request) -> Response:
        c, a = emu.catalog, emu.accounts
        return JSONResponse(
            {
                "products": list(c.products.values()),
                "price_lists": list(c.price_lists.values()),
                "prices": c.prices,
                "locations": c.locations,
                "stock": list(c.stock.values()),
                "customers": list(a.customers.values()),
                "purchases": list(a.purchases.values()),
                "currency": a.currency,
                "sync_logs": [
                    {
                        "integration": i,
                        "data_type": d,
                        **{k: v for k, v in log.items() if k != "errors"},
                        "errors": list(log["errors"].values()),
                    }
                    for (i, d), log in sorted(a.sync_logs.items())
                ],
            }
        )

    async def stats(request: Request) -> Response:
        s = emu.stats
        return JSONResponse(
            {
                "calls": s.calls,
                "tokens": s.tokens,
                "throttled": s.throttled,
                "by_route": s.by_route,
                "rate_limit": emu.window.limit,
            }
        )

    async def reset_stats(request: Request) -> Response:
        s = emu.stats
        s.calls = s.tokens = s.throttled = 0
        s.by_route.clear()
        return JSONResponse({})

    async def faults(request: Request) -> Response:
        try:
            emu.faults.update(await body(request))
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({})

    async def location(request: Request) -> Response:
        name = (await body(request)).get("name")
        if not isinstance(name, str) or not name:
            return JSONResponse({"error": "name is required"}, status_code=400)
        return JSONResponse({"id": emu.catalog.add_location(name)})

    async def group(request: Request) -> Response:
        name = (await body(request)).get("name")
        if not isinstance(name, str) or not name:
            return JSONResponse({"error": "name is required"}, status_code=400)
        emu.accounts.groups.add(name)
        return JSONResponse({})

    async def expire_tokens(request: Request) -> Response:
        emu.tokens.clear()
        return JSONResponse({})

    async def rate_limit(request: Request) -> Response:
        emu.window.limit = int((await body(request))["limit"])
        return JSONResponse({})

    async def trigger(request: Request) -> Response:
        data = await body(request)
        status = await emu.trigger(
            str(data["url"]),
            str(data["data_type"]),
            str(data.get("secret", "")),
            str(data.get("site_env", "live")),
        )
        return JSONResponse({"status": status})

    return [
        Route("/_emulator/state", state, methods=["GET"]),
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/stats/reset", reset_stats, methods=["POST"]),
        Route("/_emulator/faults", faults, methods=["POST"]),
        Route("/_emulator/locations", location, methods=["POST"]),
        Route("/_emulator/groups", group, methods=["POST"]),
        Route("/_emulator/expire-tokens", expire_tokens, methods=["POST"]),
        Route("/_emulator/rate-limit", rate_limit, methods=["POST"]),
        Route("/_emulator/trigger", trigger, methods=["POST"]),
    ]
