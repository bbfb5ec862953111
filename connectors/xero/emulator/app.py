"""A local stand-in for Xero: the identity server's token endpoint and the Accounting API.

    python -m syncwright.connectors.xero --listen 127.0.0.1:0 --client-id ID --client-secret S \
        [--tenant TENANT] [--refresh-token R] [--items N]

prints ``listening on http://host:port`` once serving. The API lives under ``/api.xro/2.0``
(api.py); tokens come from ``POST /connect/token`` (HTTP Basic client id and secret; form
``grant_type=client_credentials`` or ``refresh_token``). Access tokens live 30 minutes; every
refresh hands out a new refresh token and retires the one used, which still works for
``refresh_grace`` seconds (Xero's grace period for a client that lost the answer [3P]).
Every API call needs ``Authorization: Bearer`` (401 otherwise) and the right
``xero-tenant-id`` (403), and is counted against limits.py (429 with Retry-After and
X-Rate-Limit-Problem), then faults may strike (``POST /_emulator/faults``):

    fail_next               answer 503 (organisation offline) instead
    drop_next               cut the connection mid-answer
    hang_next               wait ``hang_seconds`` before doing anything
    hang_after_commit_next  do the write, then wait ``hang_seconds`` (a timeout after commit)
    malformed_next          answer 200 with broken JSON
    truncated_next          answer 200 with half the body
    storm_next              answer 429 (minute) without counting
    exhaust_day             spend the day's 5,000 calls at once
    only                    a route prefix ("PUT /Invoices"): faults strike only those calls

Test controls (no auth; a test double on loopback) live under ``/_emulator/``.
"""

from __future__ import annotations

import argparse
import base64
import secrets
import sys
import time
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from syncwright.connectors.serving import serve_asgi
from syncwright.connectors.xero.emulator.api import Api
from syncwright.connectors.xero.emulator.limits import Limits
from syncwright.connectors.xero.emulator.store import Books
from syncwright.connectors.xero.emulator.webhooks import Hooks

BASE = "/api.xro/2.0"
TOKEN_LIFETIME = 1800
FAULTS = (
    "fail_next",
    "drop_next",
    "hang_next",
    "hang_after_commit_next",
    "malformed_next",
    "truncated_next",
    "storm_next",
)


class Emulator:
    def __init__(
        self,
        *,
        client_id: str = "client",
        client_secret: str = "secret",
        tenant_id: str = "3b1b3e55-0000-4000-8000-000000000001",
        refresh_token: str | None = None,
        refresh_grace: float = 1800.0,
        webhook_key: str = "hook",
    ) -> None:
        self.offset = 0.0
        self.client = (client_id, client_secret)
        self.tenant_id = tenant_id
        self.hooks = Hooks(webhook_key, tenant_id)
        self.books = Books(self.now, on_change=self.hooks.event)
        self.api = Api(self.books)
        self.limits = Limits(clock=self.now)
        self.refresh_grace = refresh_grace
        self.access: dict[str, float] = {}
        #: refresh token -> None while current, else when its grace ends.
        self.refresh: dict[str, float | None] = {}
        if refresh_token:
            self.refresh[refresh_token] = None
        self.faults: dict[str, int] = dict.fromkeys(FAULTS, 0)
        self.hang_seconds = 5.0
        #: Faults strike only calls whose route ("PUT /Invoices") starts with this, when set.
        self.fault_only = ""
        self.calls = 0
        self.by_route: dict[str, int] = {}
        self.token_calls = 0
        api = self.api
        routes = [
            Route("/connect/token", self.token, methods=["POST"]),
            Route(f"{BASE}/Items", self._guard(api.items), methods=["GET", "PUT", "POST"]),
            Route(f"{BASE}/Items/{{id}}", self._guard(api.item), methods=["GET", "DELETE"]),
            Route(f"{BASE}/Contacts", self._guard(api.contacts), methods=["GET", "PUT", "POST"]),
            Route(f"{BASE}/Contacts/{{id}}", self._guard(api.contact), methods=["GET"]),
            Route(f"{BASE}/Invoices", self._guard(api.invoices), methods=["GET", "PUT", "POST"]),
            Route(f"{BASE}/Invoices/{{id}}", self._guard(api.invoice), methods=["GET", "POST"]),
            Route(
                f"{BASE}/Invoices/{{id}}/History", self._guard(api.history), methods=["GET", "PUT"]
            ),
            Route(f"{BASE}/Organisation", self._guard(api.organisation), methods=["GET"]),
            Route("/_emulator/faults", self.set_faults, methods=["POST"]),
            Route("/_emulator/items", self.seed_items, methods=["POST"]),
            Route("/_emulator/stock", self.set_stock, methods=["POST"]),
            Route("/_emulator/contacts", self.seed_contacts, methods=["POST"]),
            Route("/_emulator/contacts/{id}", self.edit_contact, methods=["POST"]),
            Route("/_emulator/clock", self.advance, methods=["POST"]),
            Route("/_emulator/stats", self.stats, methods=["GET"]),
            Route("/_emulator/records/{kind}", self.records, methods=["GET"]),
            Route("/_emulator/webhooks", self.webhooks, methods=["POST"]),
            Route("/_emulator/webhooks/deliver", self.deliver, methods=["POST"]),
            Route("/_emulator/webhooks/intent", self.intent, methods=["POST"]),
        ]
        self.app = Starlette(routes=routes)

    def now(self) -> float:
        return time.time() + self.offset

    # -- identity -------------------------------------------------------------------------

    def issue_refresh(self) -> str:
        token = secrets.token_urlsafe(24)
        self.refresh[token] = None
        return token

    async def token(self, request: Request) -> Response:
        self.token_calls += 1
        given = request.headers.get("authorization", "")
        try:
            pair = base64.b64decode(given.removeprefix("Basic ")).decode().split(":", 1)
        except ValueError:
            pair = []
        if tuple(pair) != self.client:
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        form = dict(parse_qsl((await request.body()).decode(errors="replace")))
        grant = form.get("grant_type")
        body: dict[str, Any] = {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME}
        if grant == "refresh_token":
            used = str(form.get("refresh_token", ""))
            if used not in self.refresh:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            until = self.refresh[used]
            if until is not None and self.now() > until:
                del self.refresh[used]
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            self.refresh[used] = self.now() + self.refresh_grace if until is None else until
            body["refresh_token"] = self.issue_refresh()
        elif grant != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        access = secrets.token_urlsafe(24)
        self.access[access] = self.now() + TOKEN_LIFETIME
        body["access_token"] = access
        return JSONResponse(body)

    # -- every API call -------------------------------------------------------------------

    def _take_fault(self, name: str, route: str = "") -> bool:
        if self.fault_only and not route.startswith(self.fault_only):
            return False
        if self.faults[name] > 0:
            self.faults[name] -= 1
            return True
        return False

    def _guard(self, handler: Any) -> Any:
        async def guarded(request: Request) -> Response:
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            expires = self.access.get(token)
            if expires is None or self.now() >= expires:
                detail = "TokenExpired: token expired" if expires else "AuthenticationUnsuccessful"
                return JSONResponse(
                    {"Title": "Unauthorized", "Status": 401, "Detail": detail}, status_code=401
                )
            if request.headers.get("xero-tenant-id") != self.tenant_id:
                return JSONResponse(
                    {
                        "Type": "AuthorizationUnsuccessful",
                        "Title": "Forbidden",
                        "Status": 403,
                        "Detail": "AuthenticationUnsuccessful",
                    },
                    status_code=403,
                )
            route = f"{request.method} {request.url.path.removeprefix(BASE)}"
            if self._take_fault("storm_next", route):
                return self._limited("minute", 1)
            refused = self.limits.take()
            if refused is not None:
                return self._limited(*refused)
            self.calls += 1
            counted = route if "/Items/" not in route else "GET /Items/{id}"
            if request.headers.get("if-modified-since"):
                counted += " (If-Modified-Since)"
            self.by_route[counted] = self.by_route.get(counted, 0) + 1
            self.limits.enter()
            try:
                return await self._answer(handler, request, route)
            finally:
                self.limits.active -= 1

        return guarded

    async def _answer(self, handler: Any, request: Request, route: str) -> Response:
        if self._take_fault("hang_next", route):
            await anyio.sleep(self.hang_seconds)
        if self._take_fault("fail_next", route):
            return Response("Organisation is offline", status_code=503)
        if self._take_fault("drop_next", route):
            return _Dropped()
        response: Response = await handler(request)
        if self._take_fault("hang_after_commit_next", route):
            await anyio.sleep(self.hang_seconds)
        if self._take_fault("malformed_next", route):
            response = Response(b'{"Items": [{"ItemID": ', media_type="application/json")
        elif self._take_fault("truncated_next", route):
            response = Response(
                bytes(response.body)[: len(response.body) // 2], media_type="application/json"
            )
        response.headers.update(self.limits.headers())
        return response

    def _limited(self, problem: str, wait: float) -> Response:
        headers = {
            **self.limits.headers(),
            "Retry-After": str(int(wait)),
            "X-Rate-Limit-Problem": problem,
        }
        return Response(status_code=429, headers=headers)

    # -- test controls --------------------------------------------------------------------

    async def set_faults(self, request: Request) -> Response:
        body = await request.json()
        for name in FAULTS:
            if name in body:
                self.faults[name] = int(body[name])
        if "only" in body:
            self.fault_only = str(body["only"] or "")
        if "hang_seconds" in body:
            self.hang_seconds = float(body["hang_seconds"])
        if body.get("exhaust_day"):
            self.limits.exhaust_day()
        return JSONResponse(self.faults)

    async def seed_items(self, request: Request) -> Response:
        made = [self.books.put_item(raw) for raw in await request.json()]
        return JSONResponse({"Items": made})

    async def set_stock(self, request: Request) -> Response:
        body = await request.json()
        return JSONResponse({c: bool(self.books.set_quantity(c, q)) for c, q in body.items()})

    async def seed_contacts(self, request: Request) -> Response:
        made = []
        for raw in await request.json():
            made.append(self.books.put_contact(raw))
        return JSONResponse({"Contacts": made})

    async def edit_contact(self, request: Request) -> Response:
        found = self.books.update_contact(request.path_params["id"], await request.json())
        return JSONResponse(
            found or {"error": "no such contact"}, status_code=200 if found else 404
        )

    async def advance(self, request: Request) -> Response:
        self.offset += float((await request.json()).get("seconds", 0))
        return JSONResponse({"offset": self.offset})

    async def webhooks(self, request: Request) -> Response:
        self.hooks.url = (await request.json()).get("url")
        return JSONResponse({"url": self.hooks.url})

    async def deliver(self, request: Request) -> Response:
        return JSONResponse(await self.hooks.deliver())

    async def intent(self, request: Request) -> Response:
        return JSONResponse(await self.hooks.intent())

    async def records(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        held = {
            "items": self.books.items,
            "contacts": self.books.contacts,
            "invoices": self.books.invoices,
        }.get(kind)
        if held is None:
            return JSONResponse({"error": f"no records called {kind}"}, status_code=404)
        return JSONResponse(list(held.values()))

    async def stats(self, request: Request) -> Response:
        return JSONResponse(self.statistics())

    def statistics(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "by_route": dict(self.by_route),
            "writes": self.api.writes,
            "refused": self.limits.refused,
            "busiest_minute": self.limits.busiest_minute,
            "token_calls": self.token_calls,
            "invoices": len(self.books.invoices),
            "items": len(self.books.items),
            "contacts": len(self.books.contacts),
        }


class _Dropped(Response):
    """Promise a body and send a little of it: the client sees the connection cut."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"Items": [', "more_body": False})


def seed_catalogue(books: Books, count: int) -> None:
    for n in range(count):
        books.put_item(
            {
                "Code": f"XSKU-{n:05d}",
                "Name": f"Item {n}",
                "IsTrackedAsInventory": True,
                "QuantityOnHand": float(n % 50),
                "SalesDetails": {"UnitPrice": 10 + n % 7, "AccountCode": "200"},
            }
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m syncwright.connectors.xero")
    parser.add_argument("--listen", default="127.0.0.1:8710")
    parser.add_argument("--client-id", default="client")
    parser.add_argument("--client-secret", default="secret")
    parser.add_argument("--tenant", default="3b1b3e55-0000-4000-8000-000000000001")
    parser.add_argument("--refresh-token", default=None)
    parser.add_argument("--items", type=int, default=0)
    parser.add_argument("--webhook-key", default="hook")
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    emulator = Emulator(
        client_id=args.client_id,
        client_secret=args.client_secret,
        tenant_id=args.tenant,
        refresh_token=args.refresh_token,
    )
    seed_catalogue(emulator.books, args.items)

    async def run() -> None:
        async with anyio.create_task_group() as group:
            url = await group.start(serve_asgi, emulator.app, host, int(port))
            print(f"listening on {url}", flush=True)

    try:
        anyio.run(run)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
