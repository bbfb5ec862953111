"""The emulator's test controls under ``/_emulator/`` (not part of Unleashed's API).

Same signed headers as the API, but they neither count against the quota nor meet faults:
seed products, change stock and customers as staff would in Unleashed, obsolete a product,
set faults and the quota, move the clock, and read statistics and orders.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncwright.connectors.unleashed.emulator.seed import seed
from syncwright.connectors.unleashed.emulator.store import Refused

if TYPE_CHECKING:
    from syncwright.connectors.unleashed.emulator.app import Emulator


def control_routes(emu: Emulator) -> list[Route]:
    store = emu.store

    def guarded(handler: Any) -> Any:
        async def wrapped(request: Request) -> Response:
            if not emu.signed(request):
                return emu.answer(403, {"Description": "Forbidden"})
            try:
                data = json.loads(await request.body() or b"{}")
                return emu.answer(200, handler(data if isinstance(data, dict) else {}))
            except (ValueError, KeyError, TypeError, Refused) as exc:
                return emu.answer(400, {"Description": f"bad request: {exc!r}"})

        return wrapped

    def do_seed(data: dict[str, Any]) -> Any:
        seed(
            store,
            data.get("warehouses", []),
            int(data.get("products", 0)),
            int(data.get("customers", 0)),
        )
        return {"products": len(store.products), "customers": len(store.customers)}

    def product(data: dict[str, Any]) -> Any:
        guid = str(data.pop("Guid"))
        return {"Guid": store.upsert_product(guid, data)["Guid"]}

    def obsolete(data: dict[str, Any]) -> Any:
        return {"Guid": store.obsolete_product(str(data["Guid"]))["Guid"]}

    def stock(data: dict[str, Any]) -> Any:
        row = store.set_stock(
            str(data["code"]),
            str(data["warehouse"]),
            Decimal(str(data["on_hand"])),
            Decimal(str(data.get("allocated", 0))),
        )
        return {"ProductGuid": row["ProductGuid"]}

    def customer(data: dict[str, Any]) -> Any:
        guid = str(data.pop("Guid"))
        return {"Guid": store.upsert_customer(guid, data)["Guid"]}

    def faults(data: dict[str, Any]) -> Any:
        emu.faults.update(data)
        return {"ok": True}

    def quota(data: dict[str, Any]) -> Any:
        if "limit" in data:
            emu.quota.limit = None if data["limit"] is None else int(data["limit"])
        if "used" in data:
            emu.quota.month = (emu.clock().year, emu.clock().month)
            emu.quota.used = int(data["used"])
        if "status" in data:
            emu.quota.status = int(data["status"])
        return emu.quota.status_view()

    def clock(data: dict[str, Any]) -> Any:
        if "advance_seconds" in data:
            emu.clock.offset += timedelta(seconds=float(data["advance_seconds"]))
        if "at" in data:
            emu.clock.fixed = None if data["at"] is None else datetime.fromisoformat(data["at"])
        return {"now": emu.clock().isoformat()}

    def stats(data: dict[str, Any]) -> Any:
        return {
            "calls": emu.stats.calls,
            "refused_quota": emu.stats.refused_quota,
            "by_route": emu.stats.by_route,
            "quota": emu.quota.status_view(),
            "products": len(store.products),
            "customers": len(store.customers),
            "orders": len(store.orders),
            "webhooks_delivered": len(emu.webhooks.delivered),
            "webhooks_failed": len(emu.webhooks.failed),
        }

    def orders(data: dict[str, Any]) -> Any:
        return {"orders": list(store.orders.values())}

    def settings(data: dict[str, Any]) -> Any:
        if "currency" in data:
            store.company["BaseCurrency"] = {"CurrencyCode": str(data["currency"])}
        return store.company

    return [
        Route("/_emulator/seed", guarded(do_seed), methods=["POST"]),
        Route("/_emulator/product", guarded(product), methods=["POST"]),
        Route("/_emulator/obsolete", guarded(obsolete), methods=["POST"]),
        Route("/_emulator/stock", guarded(stock), methods=["POST"]),
        Route("/_emulator/customer", guarded(customer), methods=["POST"]),
        Route("/_emulator/faults", guarded(faults), methods=["POST"]),
        Route("/_emulator/quota", guarded(quota), methods=["POST"]),
        Route("/_emulator/clock", guarded(clock), methods=["POST"]),
        Route("/_emulator/stats", guarded(stats), methods=["GET", "POST"]),
        Route("/_emulator/orders", guarded(orders), methods=["GET"]),
        Route("/_emulator/settings", guarded(settings), methods=["POST"]),
    ]
