"""A local stand-in for one BigCommerce store's REST API, for tests and benchmarks.

    python -m syncwright.connectors.bigcommerce --listen 127.0.0.1:0 --token T --secret S \
        [--store-hash abc123] [--quota 150] [--window-ms 30000] [--webhook-url URL]

prints ``listening on http://host:port`` once serving; the API is under
``/stores/{hash}/v3/...`` and ``/v2/...`` (catalog.py, sales.py), as on api.bigcommerce.com.
``X-Auth-Token`` must match (else 401 with BigCommerce's error body). Every API answer carries
the store's quota headers (quota.py); a spent window answers 429. Fault switches, shopper
actions and statistics live under ``/_emulator/`` (control.py).

Which facts are documented and which assumed is said in each module's docstring; the sources
are ../shared/reference/platform-apis.md §6 (BigCommerce's own OpenAPI files carry no licence,
so none is vendored or validated against here).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.abc import TaskStatus
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from syncwright.connectors.bigcommerce.emulator.catalog import catalog_routes
from syncwright.connectors.bigcommerce.emulator.control import control_routes
from syncwright.connectors.bigcommerce.emulator.hooks import Sender
from syncwright.connectors.bigcommerce.emulator.quota import Faults, Quota
from syncwright.connectors.bigcommerce.emulator.sales import sales_routes
from syncwright.connectors.bigcommerce.emulator.shapes import Refusal, v2_error, v3_error
from syncwright.connectors.bigcommerce.emulator.store import Store
from syncwright.connectors.serving import serve_asgi

Handler = Callable[[Request], Awaitable[Response]]


class Emulator:
    def __init__(
        self,
        *,
        token: str,
        secret: str = "bc_test_secret",
        store_hash: str = "abc123",
        quota: Quota | None = None,
        webhook_url: str | None = None,
        retry_scale: float = 1.0,
    ) -> None:
        self.token = token
        self.store_hash = store_hash
        self.store = Store()
        self.quota = quota or Quota()
        self.faults = Faults()
        self.calls: Counter[str] = Counter()
        self.rejected = 0
        self.url = ""
        self.sender = Sender(secret, store_hash, retry_scale=retry_scale)
        self.store.emit = lambda scope, rid, extra=None: self.sender.queue(
            list(self.store.hooks.values()), scope, rid, extra
        )
        if webhook_url:
            self.subscribe(webhook_url)
        routes = [
            Route(r.path, self._guard(r.endpoint), methods=r.methods)
            for r in (*catalog_routes(self), *sales_routes(self))
        ]
        self.app = Starlette(routes=[*routes, *control_routes(self)])

    @property
    def base(self) -> str:
        """The URL a connector is configured with (ends with the store hash)."""
        return f"{self.url}/stores/{self.store_hash}"

    def subscribe(self, destination: str, scope: str = "store/*") -> None:
        """A hook for every scope to ``destination`` (what the operator sets up)."""
        for name in (
            (scope,)
            if scope != "store/*"
            else ("store/product/*", "store/sku/*", "store/order/*", "store/customer/*")
        ):
            hid = self.store.next_id("hook")
            self.store.hooks[hid] = {
                "id": hid,
                "scope": name,
                "destination": destination,
                "is_active": True,
                "headers": {},
            }

    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self.sender.run)
            self.url = await tg.start(serve_asgi, self.app, host, port)
            task_status.started(self.url)

    def authorised(self, request: Request) -> bool:
        return request.headers.get("x-auth-token") == self.token

    async def json(self, request: Request) -> Any:
        try:
            return json.loads(await request.body())
        except ValueError as exc:
            raise Refusal(400, "The request body is not valid JSON") from exc

    def _guard(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            v2 = "/v2/" in request.url.path
            if request.path_params.get("hash") != self.store_hash:
                return v3_error(404, "Store not found")
            if not self.authorised(request):
                return v3_error(401, "You have not been authorized to perform this action.")
            faults = self.faults
            if faults.slow_seconds:
                await anyio.sleep(faults.slow_seconds)
            if faults.roll(faults.overload_429_rate):
                return v3_error(429, "Too many requests: the platform is busy")
            if faults.roll(faults.storm_429_rate):
                self.quota.spend_other(self.quota.quota)
            if not self.quota.take():
                self.rejected += 1
                answer = v3_error(429, "You have exceeded your request quota")
                answer.headers.update(self.quota.headers())
                return answer
            self.calls[f"{request.method} {_route(request)}"] += 1
            if faults.roll(faults.drop_rate):
                return _Dropped()
            if faults.roll(faults.error_rate):
                answer = v3_error(500, "Internal Server Error")
                answer.headers.update(self.quota.headers())
                return answer
            try:
                response = await handler(request)
            except Refusal as exc:
                response = (
                    v2_error(exc.status, exc.title)
                    if v2
                    else v3_error(exc.status, exc.title, exc.errors)
                )
            except (KeyError, TypeError, ValueError) as exc:
                response = v3_error(422, f"Invalid request: {exc!r}")
            if request.method != "GET" and faults.roll(faults.drop_after_write_rate):
                return _Dropped()
            if response.status_code == 200 and faults.roll(faults.malformed_rate):
                return Response(b'{"data": [{"id": 1,,}', media_type="application/json")
            if response.status_code == 200 and faults.roll(faults.truncated_rate):
                return Response(
                    bytes(response.body)[: len(response.body) // 2], media_type="application/json"
                )
            response.headers.update(self.quota.headers())
            return response

        return guarded

    def stats(self) -> dict[str, Any]:
        return {
            "calls": sum(self.calls.values()),
            "by_route": dict(self.calls),
            "rejected": self.rejected,
            "peak_window": self.quota.peak,
            "webhooks_delivered": len(self.sender.delivered),
            "webhooks_failed": len(self.sender.failed),
            "customers": sorted(c["email"].lower() for c in self.store.customers.values()),
        }


def _route(request: Request) -> str:
    path = request.url.path.split(f"/stores/{request.path_params.get('hash')}", 1)[-1]
    return "/".join("{id}" if part.isdigit() else part for part in path.split("/"))


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
        await send({"type": "http.response.body", "body": b'{"data": [', "more_body": False})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m syncwright.connectors.bigcommerce")
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--token", required=True)
    parser.add_argument("--secret", default="bc_test_secret")
    parser.add_argument("--store-hash", default="abc123")
    parser.add_argument("--quota", type=int, default=150)
    parser.add_argument("--window-ms", type=int, default=30_000)
    parser.add_argument("--webhook-url")
    parser.add_argument("--retry-scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    emulator = Emulator(
        token=args.token,
        secret=args.secret,
        store_hash=args.store_hash,
        quota=Quota(args.quota, args.window_ms),
        webhook_url=args.webhook_url,
        retry_scale=args.retry_scale,
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
