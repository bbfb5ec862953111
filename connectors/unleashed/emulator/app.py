"""A local stand-in for the Unleashed API, for tests and benchmarks.

    python -m syncwright.connectors.unleashed --listen 127.0.0.1:0 --api-id ID --api-key KEY \
        [--quota N] [--quota-status 429] [--warehouses MAIN:Main,NORTH:North] [--products N]

prints ``listening on http://host:port`` once serving.

Documented facts it follows (apidocs.unleashedsoftware.com; platform-apis.md section 4):
- ``api-auth-id`` and ``api-auth-signature`` on every request; the signature is
  base64(HMAC-SHA256(API key, query string without ``?``)), the path and page number unsigned,
  the empty query signing ""; a wrong one is 403. ``client-type`` is accepted, not enforced.
- Page numbers in the path (``/Products/2``; ``/SalesOrders/Page/2``), ``pageSize`` (default
  200), the ``Pagination {NumberOfItems, PageSize, PageNumber, NumberOfPages}`` envelope.
- ``modifiedSince`` (UTC, ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SS``) on Products, StockOnHand,
  Warehouses, Customers and SalesOrders; ``orderBy``; obsolete products hidden unless
  ``includeObsolete=true``; deleted sales orders hidden unless ``orderStatus`` names them;
  ``sourceId`` and ``orderNumber`` override every other filter; ``productCode`` and
  ``customerCode`` match prefixes.
- Client-chosen GUIDs: ``POST /Products/{guid}``, ``/Customers/{guid}``, ``/SalesOrders/{guid}``
  create or update (a repeated POST is an upsert); ``PUT /SalesOrders/{guid}``,
  ``POST /SalesOrders/{guid}/Complete``; StockOnHand rows only for products with transactions.
- A monthly quota per account, reset on the 1st at 00:00 UTC; at 100 % every request is
  refused until then; warnings at 90 % and 95 % (shown in ``/_emulator/stats``).

Assumed (not documented, or only by third parties), each a switch where it matters:
- the quota refusal's status (``--quota-status``, 429 by default) and body (``Description``
  naming the usage limit), with no Retry-After; no remaining-quota headers exist;
- the page size maximum of 1000, and 400 above it; the JSON key ``Items``;
- ``modifiedSince`` inclusive; ties in ``orderBy`` broken by GUID; without ``orderBy`` a
  stable scrambled order (Products: by ProductCode, as documented);
- StockOnHand rows per product per warehouse, ``warehouseCode`` filtering them;
- error bodies ``{"Description": ...}``; a single record by GUID answered bare, 404 if none;
- ``/Companies`` holding ``BaseCurrency``; ``/Date(ms)/`` body dates; quantities and prices
  as JSON numbers (``--decimal-strings`` sends them as strings instead);
- webhooks (emulator/webhooks.py): at most five subscriptions is documented; the
  ``/Webhooks/Subscriptions`` shapes, the signature over "{timestamp}.{body}" keyed by the
  API key (third-party code) and the event type and id headers are assumed.

Test controls (same signed headers) live under ``/_emulator/``: seed products and stock,
faults, the quota, the clock, statistics.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import anyio
from anyio.abc import TaskStatus
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from syncwright.connectors.serving import serve_asgi
from syncwright.connectors.unleashed.emulator.api import Api, BadRequest
from syncwright.connectors.unleashed.emulator.control import control_routes
from syncwright.connectors.unleashed.emulator.faults import Faults, Quota
from syncwright.connectors.unleashed.emulator.seed import seed
from syncwright.connectors.unleashed.emulator.store import Refused, Store
from syncwright.connectors.unleashed.emulator.webhooks import Webhooks

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Stats:
    calls: int = 0
    refused_quota: int = 0
    by_route: dict[str, int] = field(default_factory=dict)


class Clock:
    """The emulator's time: real time plus an offset a test may move (or a fixed time)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self.fixed if self.fixed is not None else datetime.now(UTC) + self.offset


class Emulator:
    def __init__(
        self,
        *,
        api_id: str,
        api_key: str,
        quota: int | None = None,
        quota_status: int = 429,
        decimal_strings: bool = False,
    ) -> None:
        self.api_id = api_id
        self.api_key = api_key
        self.clock = Clock()
        self.store = Store(self.clock)
        self.api = Api(self.store)
        self.faults = Faults()
        self.quota = Quota(limit=quota, status=quota_status)
        self.stats = Stats()
        self.decimal_strings = decimal_strings
        self.url = ""
        self.webhooks = Webhooks(api_key)
        self.store.emit = lambda event, row: self.webhooks.emit(event, row, self.encode)
        a = self.api
        routes: list[tuple[str, str, Any]] = [
            ("GET", "/Products", lambda r, p, b: a.products(p, 1)),
            ("GET", "/Products/{page:int}", lambda r, p, b: a.products(p, r["page"])),
            ("POST", "/Products/Obsolete/{guid}", lambda r, p, b: a.obsolete_product(r["guid"])),
            ("GET", "/Products/{guid}", lambda r, p, b: a.product(r["guid"])),
            ("POST", "/Products/{guid}", lambda r, p, b: a.save_product(r["guid"], b)),
            ("GET", "/Warehouses", lambda r, p, b: a.warehouses(p, 1)),
            ("GET", "/Warehouses/{page:int}", lambda r, p, b: a.warehouses(p, r["page"])),
            ("GET", "/StockOnHand", lambda r, p, b: a.stock(p, 1)),
            ("GET", "/StockOnHand/{page:int}", lambda r, p, b: a.stock(p, r["page"])),
            (
                "GET",
                "/StockOnHand/{guid}/AllWarehouses",
                lambda r, p, b: a.stock_all_warehouses(r["guid"]),
            ),
            ("GET", "/Customers", lambda r, p, b: a.customers(p, 1)),
            ("GET", "/Customers/{page:int}", lambda r, p, b: a.customers(p, r["page"])),
            ("GET", "/Customers/{guid}", lambda r, p, b: a.customer(r["guid"])),
            ("POST", "/Customers/{guid}", lambda r, p, b: a.save_customer(r["guid"], b)),
            ("GET", "/SalesOrders", lambda r, p, b: a.orders(p, 1)),
            ("GET", "/SalesOrders/Page/{page:int}", lambda r, p, b: a.orders(p, r["page"])),
            ("POST", "/SalesOrders/{guid}/Complete", lambda r, p, b: a.complete_order(r["guid"])),
            ("GET", "/SalesOrders/{guid}", lambda r, p, b: a.order(r["guid"])),
            (
                "POST",
                "/SalesOrders/{guid}",
                lambda r, p, b: a.save_order(r["guid"], b, create=True),
            ),
            (
                "PUT",
                "/SalesOrders/{guid}",
                lambda r, p, b: a.save_order(r["guid"], b, create=False),
            ),
            ("GET", "/Companies", lambda r, p, b: a.companies()),
            ("GET", "/Webhooks/Subscriptions", lambda r, p, b: self._subscriptions()),
            ("POST", "/Webhooks/Subscriptions", lambda r, p, b: self._subscribe(b)),
            (
                "DELETE",
                "/Webhooks/Subscriptions/{guid}",
                lambda r, p, b: (200, self.webhooks.subscriptions.pop(r["guid"], {})),
            ),
        ]
        self.app = Starlette(
            routes=[
                *control_routes(self),
                *(
                    Route(path, self._endpoint(method, path, fn), methods=[method])
                    for method, path, fn in routes
                ),
            ]
        )

    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self.webhooks.run)
            self.url = await tg.start(serve_asgi, self.app, host, port)
            task_status.started(self.url)

    def _subscriptions(self) -> tuple[int, Any]:
        return 200, {"Items": list(self.webhooks.subscriptions.values())}

    def _subscribe(self, body: dict[str, Any]) -> tuple[int, Any]:
        url, events = body.get("NotificationUrl"), body.get("EventTypes")
        if not isinstance(url, str) or not isinstance(events, list) or not events:
            raise BadRequest("NotificationUrl and EventTypes are required")
        try:
            return 201, self.webhooks.subscribe(url, [str(e) for e in events])
        except ValueError as exc:
            raise BadRequest(str(exc)) from None

    # -- the request pipeline ---------------------------------------------------------------

    def signed(self, request: Request) -> bool:
        if request.headers.get("api-auth-id") != self.api_id:
            return False
        query = request.scope.get("query_string", b"").decode("latin-1")
        expected = base64.b64encode(
            hmac.new(self.api_key.encode(), query.encode(), hashlib.sha256).digest()
        )
        given = request.headers.get("api-auth-signature", "").encode()
        return hmac.compare_digest(expected, given)

    def _endpoint(self, method: str, path: str, fn: Any) -> Any:
        route = f"{method} {path}"

        async def endpoint(request: Request) -> Response:
            if not self.signed(request):
                return self.answer(
                    403, {"Description": "Forbidden: the signature or API id is wrong"}
                )
            if not self.quota.spend(self.clock()):
                self.stats.refused_quota += 1
                return self.answer(
                    self.quota.status,
                    {
                        "Description": "API usage limit reached: all requests are blocked"
                        " until your limit resets on the 1st of the month (UTC)"
                    },
                )
            self.stats.calls += 1
            self.stats.by_route[route] = self.stats.by_route.get(route, 0) + 1
            if self.faults.slow_seconds:
                await anyio.sleep(self.faults.slow_seconds)
            if self.faults.roll(self.faults.drop_rate):
                return _Dropped()
            if self.faults.roll(self.faults.error_rate):
                return self.answer(500, {"Description": "An error has occurred."})
            if self.faults.roll(self.faults.throttle_429_rate):
                return self.answer(429, {"Description": "Too many requests"}, {"Retry-After": "1"})
            params = dict(request.query_params)
            body: Any = None
            if method in ("POST", "PUT"):
                try:
                    body = json.loads(await request.body() or b"{}")
                except ValueError:
                    return self.answer(400, {"Description": "The request body is not valid JSON"})
                if not isinstance(body, dict):
                    return self.answer(400, {"Description": "The request body must be an object"})
            try:
                status, answer = fn(request.path_params, params, body)
            except BadRequest as exc:
                status, answer = 400, {"Description": str(exc)}
            except Refused as exc:
                status, answer = (
                    400,
                    {"Description": "Validation failed", "Items": [{"Description": str(exc)}]},
                )
            lost = [f for f in self.faults.fail_after if route.startswith(f)]
            if method != "GET" and status == 200 and lost:
                # The write is kept; its answer is lost on the way back (once per switch).
                self.faults.fail_after = tuple(f for f in self.faults.fail_after if f != lost[0])
                return self.answer(500, {"Description": "An error has occurred."})
            if status < 300 and self.faults.roll(self.faults.malformed_rate):
                return Response(
                    b"<html>Service Unavailable</html>", 200, media_type="application/json"
                )
            if status == 200 and self.faults.roll(self.faults.truncated_rate):
                return Response(self.encode(answer)[:-9], 200, media_type="application/json")
            return self.answer(status, answer)

        return endpoint

    def encode(self, value: Any) -> bytes:
        def default(item: Any) -> Any:
            if isinstance(item, datetime):
                return f"/Date({(item - EPOCH) // timedelta(milliseconds=1)})/"
            if isinstance(item, Decimal):
                return str(item) if self.decimal_strings else float(item)
            raise TypeError(type(item).__name__)

        return json.dumps(value, default=default, separators=(",", ":")).encode()

    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        return Response(self.encode(body), status, headers=headers, media_type="application/json")


class _Dropped(Response):
    """Promise a body and send part of it: the client sees the connection cut."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"Pagination": {', "more_body": False})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m syncwright.connectors.unleashed")
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--api-id", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--quota", type=int, default=None)
    parser.add_argument("--quota-status", type=int, default=429)
    parser.add_argument("--decimal-strings", action="store_true")
    parser.add_argument("--warehouses", default="MAIN:Main warehouse")
    parser.add_argument("--products", type=int, default=0)
    parser.add_argument("--customers", type=int, default=0)
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    emulator = Emulator(
        api_id=args.api_id,
        api_key=args.api_key,
        quota=args.quota,
        quota_status=args.quota_status,
        decimal_strings=args.decimal_strings,
    )
    warehouses = [w.split(":", 1) for w in args.warehouses.split(",") if w]
    seed(emulator.store, warehouses, args.products, args.customers)

    async def run() -> None:
        async with anyio.create_task_group() as tg:
            url = await tg.start(emulator.serve, host or "127.0.0.1", int(port or 0))
            print(f"listening on {url}", flush=True)

    try:
        anyio.run(run)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
