"""A local stand-in for a SparkLayer site's REST APIs, for tests, benchmarks and demos.

    python -m syncwright.connectors.sparklayer --listen 127.0.0.1:0 --site-id demo \
        --client-id ID --client-secret SECRET [--rate-limit 120] [--locations main,north] \
        [--groups trade,retail]

prints ``listening on http://host:port`` once serving. Documented facts it reproduces
(../shared/reference/platform-specs.md §2, from docs.sparklayer.io): the token endpoint
(``POST /api/auth/token``, ``Site-Id`` header, JSON body only, 3,600 s tokens, no refresh),
``Authorization: Bearer`` + ``Site-Id`` on every call, RFC 7807 error bodies, 401 for a bad or
expired token, price lists and pricing, batch stock, v2 customers (whole-record upsert), v1
purchases, the write-once store currency and the sync-log API, with the semantics listed in
catalog.py and accounts.py. Assumed, because the vendor's OpenAPI files could not be read
here: the rate limit and its headers (limits.py), the product paths and body, the ``skus`` and
``external_ids`` filters, the partial sync-log body, the purchase body, and how SparkLayer
authenticates its call to an integration's trigger endpoint (a bearer secret).

Test controls live under ``/_emulator/`` (no auth; the emulator listens on loopback): state,
statistics, fault switches, locations, groups, token expiry, rate limit, and a knob that
calls an integration's ``POST /v1/{siteEnv}/{siteId}/status/{syncDataType}`` as the
Dashboard's "sync now" button does.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
from anyio.abc import TaskStatus
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from syncwright.connectors.serving import serve_asgi
from syncwright.connectors.sparklayer.emulator.accounts import AccountStore
from syncwright.connectors.sparklayer.emulator.catalog import CatalogStore
from syncwright.connectors.sparklayer.emulator.control import control_routes
from syncwright.connectors.sparklayer.emulator.limits import Faults, RateWindow
from syncwright.connectors.sparklayer.emulator.problems import Reply, problem

TOKEN_LIFETIME = 3600
Handler = Callable[[dict[str, str], dict[str, str], Any], Reply]


@dataclass
class Stats:
    calls: int = 0
    tokens: int = 0
    throttled: int = 0
    by_route: dict[str, int] = field(default_factory=dict)


class Emulator:
    def __init__(
        self,
        *,
        site_id: str = "demo",
        client_id: str = "sl-client",
        client_secret: str = "sl-secret",
        rate_limit: int = 120,
        locations: tuple[str, ...] = ("main",),
        groups: tuple[str, ...] = ("trade", "retail", "wholesale"),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.site_id, self.client_id, self.client_secret = site_id, client_id, client_secret
        self.clock = clock
        self.catalog = CatalogStore(list(locations))
        self.accounts = AccountStore(list(groups))
        self.window = RateWindow(limit=rate_limit, clock=clock)
        self.faults = Faults()
        self.stats = Stats()
        self.tokens: dict[str, float] = {}
        self._headers: dict[str, str] = {}
        self.url = ""
        c, a = self.catalog, self.accounts
        table: list[tuple[str, str, Handler, bool]] = [
            ("GET", "/api/v1/products", lambda p, q, b: c.find_products(q), False),
            ("POST", "/api/v1/products", lambda p, q, b: c.create_product(b), True),
            ("GET", "/api/v1/products/{id}", lambda p, q, b: c.get_product(p["id"]), False),
            ("PATCH", "/api/v1/products/{id}", lambda p, q, b: c.patch_product(p["id"], b), True),
            ("GET", "/api/v2/price-lists", lambda p, q, b: c.list_price_lists(q), False),
            ("POST", "/api/v1/price-lists", lambda p, q, b: c.create_price_list(b), True),
            (
                "GET",
                "/api/v1/price-lists/{slug}",
                lambda p, q, b: c.get_price_list(p["slug"]),
                False,
            ),
            (
                "PATCH",
                "/api/v1/price-lists/{slug}",
                lambda p, q, b: c.patch_price_list(p["slug"], b),
                True,
            ),
            (
                "PATCH",
                "/api/v1/price-lists/{slug}/pricing",
                lambda p, q, b: c.write_pricing(p["slug"], b),
                True,
            ),
            (
                "GET",
                "/api/v1/price-lists/{slug}/pricing",
                lambda p, q, b: c.read_pricing(p["slug"], q),
                False,
            ),
            (
                "PATCH",
                "/api/v1/batch-update-pricing",
                lambda p, q, b: c.write_pricing(None, b),
                True,
            ),
            ("POST", "/api/v1/batch-update-stock", lambda p, q, b: c.batch_stock(b), True),
            ("GET", "/api/v1/stock/{sku}", lambda p, q, b: c.get_stock(p["sku"]), False),
            (
                "GET",
                "/api/v2/customers/{lookup}/{ident}",
                lambda p, q, b: a.get_customer(p["lookup"], p["ident"]),
                False,
            ),
            (
                "PUT",
                "/api/v2/customers/{lookup}/{ident}",
                lambda p, q, b: a.put_customer(p["lookup"], p["ident"], b),
                True,
            ),
            ("GET", "/api/v1/purchases", lambda p, q, b: a.list_purchases(q), False),
            (
                "GET",
                "/api/v1/purchases/{lookup}/{ident}",
                lambda p, q, b: a.get_purchase(p["lookup"], p["ident"]),
                False,
            ),
            (
                "PUT",
                "/api/v1/purchases/{lookup}/{ident}",
                lambda p, q, b: a.put_purchase(p["lookup"], p["ident"], b),
                True,
            ),
            (
                "DELETE",
                "/api/v1/purchases/{lookup}/{ident}",
                lambda p, q, b: a.delete_purchase(p["lookup"], p["ident"]),
                True,
            ),
            ("GET", "/api/v1/store-currency", lambda p, q, b: a.get_currency(), False),
            ("PUT", "/api/v1/store-currency", lambda p, q, b: a.put_currency(b), True),
            ("DELETE", "/api/v1/sync-log", lambda p, q, b: a.delete_sync_logs(), True),
            (
                "GET",
                "/api/v1/sync-log/{integration}/{dtype}",
                lambda p, q, b: a.get_sync_log(p["integration"], p["dtype"], errors=False),
                False,
            ),
            (
                "GET",
                "/api/v1/sync-log/{integration}/{dtype}/errors",
                lambda p, q, b: a.get_sync_log(p["integration"], p["dtype"], errors=True),
                False,
            ),
            (
                "PUT",
                "/api/v1/sync-log/{integration}/{dtype}",
                lambda p, q, b: a.put_sync_log(p["integration"], p["dtype"], b),
                True,
            ),
            (
                "PATCH",
                "/api/v1/sync-log/{integration}/{dtype}",
                lambda p, q, b: a.patch_sync_log(p["integration"], p["dtype"], b),
                True,
            ),
        ]
        routes = [Route("/api/auth/token", self.token, methods=["POST"])]
        paths: dict[str, dict[str, tuple[Handler, bool]]] = {}
        for method, path, handler, write in table:
            paths.setdefault(path, {})[method] = (handler, write)
        for path, methods in paths.items():
            routes.append(Route(path, self._endpoint(path, methods), methods=list(methods)))
        self.app = Starlette(routes=[*routes, *control_routes(self)])

    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        async with anyio.create_task_group() as tg:
            self.url = await tg.start(serve_asgi, self.app, host, port)
            task_status.started(self.url)

    # -- auth --------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        limited = self._limit()
        if limited is not None:
            return limited
        self.stats.calls += 1
        if request.headers.get("site-id") != self.site_id:
            return _json(problem(401, "unknown or missing Site-Id"))
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _json(problem(400, "the body must be JSON"))
        if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
            return _json(problem(400, "grant_type must be client_credentials"))
        if (
            body.get("client_id") != self.client_id
            or body.get("client_secret") != self.client_secret
        ):
            return _json(problem(401, "invalid client credentials"))
        token = secrets.token_urlsafe(24)
        self.tokens[token] = self.clock() + TOKEN_LIFETIME
        self.stats.tokens += 1
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME},
            headers=self._headers,
        )

    def _authorised(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        expires = self.tokens.get(token)
        return (
            scheme.lower() == "bearer"
            and expires is not None
            and expires > self.clock()
            and request.headers.get("site-id") == self.site_id
        )

    # -- dispatch ----------------------------------------------------------------------------

    def _limit(self) -> Response | None:
        allowed, self._headers, left = self.window.take()
        throttled = not allowed or self.faults.roll(self.faults.throttle_429_rate, "throttle_next")
        wait = left if not allowed else self.faults.retry_after
        if self.faults.quota is not None and not self.faults.spend_quota():
            throttled, wait = True, 3600.0
        if not throttled:
            return None
        self.stats.throttled += 1
        _, body = problem(429, "rate limit exceeded; retry after the Retry-After interval")
        headers = {**self._headers, "Retry-After": str(max(1, int(wait + 0.999)))}
        return JSONResponse(
            body, status_code=429, headers=headers, media_type="application/problem+json"
        )

    def _endpoint(
        self, path: str, methods: dict[str, tuple[Handler, bool]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            handler, write = methods[request.method]
            limited = self._limit()
            if limited is not None:
                return limited
            self.stats.calls += 1
            if not self._authorised(request):
                return _json(problem(401, "invalid or expired access token"), self._headers)
            f = self.faults
            if f.slow_seconds:
                await anyio.sleep(f.slow_seconds)
            if f.roll(f.drop_rate, "drop_next"):
                return _Dropped()
            if f.roll(f.error_rate, "error_next"):
                return (
                    Response(status_code=503)
                    if f.rng.random() < 0.5
                    else _json(problem(500, "internal error"))
                )
            if write and f.roll(f.conflict_rate, "conflict_next"):
                return _json(problem(409, "concurrent update, try again"), self._headers)
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return _json(problem(400, "the body is not valid JSON"), self._headers)
            key = f"{request.method} {path}"
            self.stats.by_route[key] = self.stats.by_route.get(key, 0) + 1
            reply = handler(dict(request.path_params), dict(request.query_params), body)
            if write and f.roll(f.lose_answer_rate, "lose_answer_next"):
                return _Dropped()  # applied, but the answer never arrives
            if reply[0] < 300 and reply[1] is not None:
                if f.roll(f.malformed_rate, "malformed_next"):
                    return Response(b"<html>gateway</html>", media_type="application/json")
                if f.roll(f.truncated_rate, "truncated_next"):
                    text = json.dumps(reply[1])
                    return Response(text[: len(text) // 2], media_type="application/json")
            return _json(reply, self._headers)

        return endpoint

    async def trigger(self, url: str, data_type: str, secret: str, site_env: str = "live") -> int:
        """Call an integration's "sync now" endpoint as the Dashboard does; its status."""
        target = f"{url.rstrip('/')}/v1/{site_env}/{self.site_id}/status/{data_type}"
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.post(target, headers={"Authorization": f"Bearer {secret}"})
        return answer.status_code


def _json(reply: Reply, headers: dict[str, str] | None = None) -> Response:
    status, body = reply
    if body is None:
        return Response(status_code=status, headers=headers)
    media = "application/problem+json" if status >= 400 and isinstance(body, dict) else None
    return JSONResponse(body, status_code=status, headers=headers, media_type=media)


class _Dropped(Response):
    """Promise a body and send a piece of it: the client sees the connection cut."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"data": [', "more_body": False})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m syncwright.connectors.sparklayer")
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--site-id", default="demo")
    parser.add_argument("--client-id", default="sl-client")
    parser.add_argument("--client-secret", default="sl-secret")
    parser.add_argument("--rate-limit", type=int, default=120)
    parser.add_argument("--locations", default="main")
    parser.add_argument("--groups", default="trade,retail,wholesale")
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    emulator = Emulator(
        site_id=args.site_id,
        client_id=args.client_id,
        client_secret=args.client_secret,
        rate_limit=args.rate_limit,
        locations=tuple(n for n in args.locations.split(",") if n),
        groups=tuple(n for n in args.groups.split(",") if n),
    )

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
