"""A local stand-in for a Lightspeed Retail X-Series store's API, for tests and benchmarks.

    python -m syncwright.connectors.lightspeed_x --listen 127.0.0.1:0 --token T \
        [--registers 1] [--products 0] [--variants 2] [--outlets 1] [--webhook-url URL]

prints ``listening on http://host:port`` once serving. Every request needs
``Authorization: Bearer <token>`` (else 401). Requests are counted against the 5-minute
window (limits.py); every JSON answer carries the rate-limit headers. Test controls (same
token) live under ``/_emulator/`` (control.py): seed a catalogue, change stock, products and
customers as staff would, set faults, the window and the webhook URL, read statistics and the
recorded exchanges that tests validate against the published spec. Changes made through the
controls or the API are sent as form-encoded webhooks (webhooks.py) when a URL is set.
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
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from syncwright.connectors.lightspeed_x.emulator.api import BadRequest, api_routes, error_response
from syncwright.connectors.lightspeed_x.emulator.control import control_routes, seed
from syncwright.connectors.lightspeed_x.emulator.limits import Faults, RateLimit
from syncwright.connectors.lightspeed_x.emulator.oauth import OAuthServer
from syncwright.connectors.lightspeed_x.emulator.store import Store
from syncwright.connectors.lightspeed_x.emulator.webhooks import WebhookSender
from syncwright.connectors.serving import serve_asgi

Handler = Callable[[Request], Awaitable[Any]]


class Emulator:
    def __init__(self, *, token: str, registers: int = 1, record: bool = False) -> None:
        self.token = token
        self.store = Store(registers=registers)
        self.webhooks = WebhookSender(
            self.store.retailer["domain_prefix"], self.store.retailer["id"]
        )
        self.store.emit = self.webhooks.emit
        self.limit = RateLimit(registers=registers)
        self.faults = Faults()
        self.calls: Counter[str] = Counter()
        self.record = record
        #: (method, route path, query pairs, request JSON, status, response JSON)
        self.exchanges: list[tuple[str, str, list[tuple[str, str]], Any, int, Any]] = []
        self.url = ""
        self.oauth = OAuthServer(self.store.retailer["domain_prefix"])
        self.app = Starlette(
            routes=[
                *api_routes(self),
                *control_routes(self),
                Route("/api/1.0/token", self.oauth.token, methods=["POST"]),
            ]
        )

    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self.webhooks.run)
                self.url = await tg.start(serve_asgi, _KeepBody(self.app), host, port)
                task_status.started(self.url)
        finally:
            self.webhooks.close()

    def authorised(self, request: Request) -> bool:
        given = request.headers.get("authorization", "")
        bearer = given.removeprefix("Bearer ")
        return given == f"Bearer {self.token}" or self.oauth.valid(bearer)

    def guard(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def wrapped(request: Request) -> Response:
            if not self.authorised(request):
                return JSONResponse({"error": "Access token is not valid"}, status_code=401)
            faults = self.faults
            if faults.slow_seconds:
                await anyio.sleep(faults.slow_seconds)
            storm = faults.roll(faults.throttle_429_rate)
            if storm or not self.limit.take():
                wait = faults.throttle_retry_seconds if storm else None
                return JSONResponse(
                    {"error": "Too Many Requests", "message": "Rate limiting enforced"},
                    status_code=429,
                    headers={**self.limit.headers(), "Retry-After": self.limit.retry_after(wait)},
                )
            route = request.scope["route"].path
            self.calls[f"{request.method} {route}"] += 1
            if faults.roll(faults.drop_rate):
                return _Dropped()
            if faults.roll(faults.error_rate):
                return JSONResponse({"error": "Internal Server Error"}, status_code=500)
            try:
                answer = await handler(request)
            except BadRequest as exc:
                answer = error_response(exc)
            response = answer if isinstance(answer, Response) else JSONResponse(answer)
            response.headers.update(self.limit.headers())
            if self.record:
                self._keep(request, route, response)
            if response.status_code == 200 and faults.roll(faults.malformed_rate):
                return Response(b"<html>502 Bad Gateway", 200, self.limit.headers(), "text/html")
            if response.status_code == 200 and faults.roll(faults.truncated_rate):
                body = bytes(response.body)
                return Response(
                    body[: len(body) // 2], 200, self.limit.headers(), "application/json"
                )
            return response

        return wrapped

    def _keep(self, request: Request, route: str, response: Response) -> None:
        sent = request.scope.get("_body")
        self.exchanges.append(
            (
                request.method,
                route,
                list(request.query_params.multi_items()),
                json.loads(sent) if sent else None,
                response.status_code,
                json.loads(bytes(response.body)) if response.body else None,
            )
        )


class _KeepBody:
    """Keeps each request's body in its scope, for the recorded exchanges."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        scope["_body"] = b"".join(chunks)
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": scope["_body"], "more_body": False}

        await self.app(scope, replay, send)


class _Dropped(Response):
    """Promise a body and send part of it: the client sees the connection cut."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"900")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"data": [', "more_body": False})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m syncwright.connectors.lightspeed_x")
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--token", required=True)
    parser.add_argument("--registers", type=int, default=1)
    parser.add_argument("--products", type=int, default=0, help="families to seed")
    parser.add_argument("--variants", type=int, default=2, help="variants per family")
    parser.add_argument("--outlets", type=int, default=1, help="outlets to seed")
    parser.add_argument("--webhook-url", help="where to send webhooks (form-encoded)")
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    emulator = Emulator(token=args.token, registers=args.registers)
    seed(emulator.store, args.products, args.variants, args.outlets)
    emulator.webhooks.url = args.webhook_url

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
