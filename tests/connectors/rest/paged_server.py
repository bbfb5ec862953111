"""A second back-office shape for the rest kind's tests, our own in-memory server: page
numbers with a ``Link: <...>; rel="next"`` header, OAuth2 client credentials, change times
as epoch seconds (``updated_since``, inclusive), camelCase records under ``data``, archived
products flagged, and sales orders deduplicated by an ``Idempotency-Key`` header (a replay
answers the first order with ``Idempotent-Replayed: true``).

It runs under uvicorn in a thread of the test process; tests change ``store`` directly, as
another user of the back office would.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

CLIENT_ID = "paged-client"
MAX_PAGE = 50


@dataclass
class Store:
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    stock: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    tokens_issued: int = 0
    requests: int = 0
    #: Creates of sales orders to commit and then answer 502 (the answer lost on the way).
    lose_create_answers: int = 0

    def stamp(self) -> int:
        return int(time.time())

    def add_item(self, name: str, skus: dict[str, str], archived: bool = False) -> str:
        with self.lock:
            code = f"IT{next(self.ids):05d}"
            self.items[code] = {
                "code": code,
                "name": name,
                "slug": name.lower().replace(" ", "-"),
                "archived": archived,
                "lastModified": self.stamp(),
                "skus": [
                    {"skuId": f"{code}-{n}", "code": sku, "label": sku, "rank": n, "price": price}
                    for n, (sku, price) in enumerate(skus.items())
                ],
            }
            return code

    def set_stock(self, sku: str, warehouse: str, quantity: int) -> None:
        with self.lock:
            self.stock[(sku, warehouse)] = {
                "itemCode": sku,
                "warehouse": warehouse,
                "onHand": quantity,
                "updated": self.stamp(),
                "rowId": f"{sku}@{warehouse}",
            }

    def touch(self, code: str, **changes: Any) -> None:
        with self.lock:
            self.items[code].update(changes, lastModified=self.stamp())

    def add_contact(self, email: str, account: str | None = None) -> str:
        with self.lock:
            ident = f"C{next(self.ids)}"
            self.contacts[ident] = {
                "id": ident,
                "mail": email,
                "given": "Paged",
                "family": "Contact",
                "account": account,
                "updated": self.stamp(),
            }
            return ident


class PagedServer:
    """Serves a Store on 127.0.0.1; a context manager."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.store = Store()
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PagedServer:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            assert time.monotonic() < deadline, "the paged server did not start"
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth/token", self.token, methods=["POST"]),
                Route("/v2/items", self.items),
                Route("/v2/items", self.create_item, methods=["POST"]),
                Route("/v2/items/{code}", self.item),
                Route("/v2/inventory", self.inventory),
                Route("/v2/contacts", self.contacts),
                Route("/v2/contacts", self.create_contact, methods=["POST"]),
                Route("/v2/sales-orders", self.find_orders),
                Route("/v2/sales-orders", self.create_order, methods=["POST"]),
                Route("/v2/sales-orders/{id}", self.order, methods=["GET", "PUT"]),
                Route("/v2/sales-orders/{id}/shipments", self.ship, methods=["POST"]),
            ]
        )

    # -- auth --------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != self.secret:
            return _json({"error": "invalid_client"}, 401)
        self.store.tokens_issued += 1
        return _json({"access_token": f"tok-{self.secret}", "expires_in": 3600})

    def _refused(self, request: Request) -> Response | None:
        self.store.requests += 1
        if request.headers.get("authorization") != f"Bearer tok-{self.secret}":
            return _json({"error": {"message": "token missing or expired"}}, 401)
        return None

    # -- reads -------------------------------------------------------------------------

    def _page(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        q = request.query_params
        page, size = int(q.get("page", "1")), min(int(q.get("per_page", "20")), MAX_PAGE)
        chunk = rows[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(rows):
            nxt = request.url.include_query_params(page=page + 1)
            headers["link"] = f'<{nxt}>; rel="next"'
        return _json({"data": chunk, "meta": {"page": page}}, 200, headers)

    def _since(self, request: Request, rows: list[dict[str, Any]], stamp: str) -> list[Any]:
        """Rows changed at or after ``updated_since``; by change time with ``sort=updated``,
        else by id."""
        since = request.query_params.get("updated_since")
        if since is not None:
            rows = [r for r in rows if r[stamp] >= int(since)]

        def ident(row: dict[str, Any]) -> str:
            return str(row.get("code") or row.get("rowId") or row["id"])

        if request.query_params.get("sort") == "updated":
            return sorted(rows, key=lambda r: (r[stamp], ident(r)))
        return sorted(rows, key=ident)

    async def items(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        with self.store.lock:
            rows = list(self.store.items.values())
            if request.query_params.get("sort") != "updated":  # the feed shows archived ones
                rows = [r for r in rows if not r["archived"]]
            sku = request.query_params.get("sku")
            if sku is not None:
                rows = [r for r in rows if any(s["code"] == sku for s in r["skus"])]
            return self._page(request, self._since(request, rows, "lastModified"))

    async def item(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        found = self.store.items.get(request.path_params["code"])
        if found is None or found["archived"]:
            return _json({"error": {"message": "no such item"}}, 404)
        return _json({"data": found})

    async def inventory(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        with self.store.lock:
            rows = list(self.store.stock.values())
            codes = request.query_params.get("codes")
            if codes is not None:
                rows = [r for r in rows if r["itemCode"] in codes.split("|")]
            return self._page(request, self._since(request, rows, "updated"))

    async def contacts(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        q = request.query_params
        with self.store.lock:
            rows = list(self.store.contacts.values())
        if "q" in q:  # a loose search, as many APIs have: the connector checks matches
            rows = [r for r in rows if q["q"].lower() in (r["mail"] or "").lower()]
        if "account" in q:
            rows = [r for r in rows if r["account"] == q["account"]]
        return self._page(request, self._since(request, rows, "updated"))

    # -- writes ------------------------------------------------------------------------

    async def create_item(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        body = await request.json()
        code = self.store.add_item(body["name"], {s["code"]: s["price"] for s in body["skus"]})
        return _json({"data": {"code": code}}, 201)

    async def create_contact(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        body = await request.json()
        if not body.get("mail"):
            return _json({"error": {"message": "mail is required"}}, 422)
        return _json({"data": {"id": self.store.add_contact(body["mail"])}}, 201)

    async def find_orders(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        ref = request.query_params.get("reference")
        rows = [o for o in self.store.orders.values() if o["reference"] == ref]
        return self._page(request, rows)

    async def create_order(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        key = request.headers.get("idempotency-key")
        with self.store.lock:
            if key is not None and key in self.store.keys:
                first = self.store.orders[self.store.keys[key]]
                return _json({"data": first}, 200, {"Idempotent-Replayed": "true"})
            body = await request.json()
            ident = f"SO{next(self.store.ids)}"
            self.store.orders[ident] = {**body, "id": ident, "shipments": []}
            if key is not None:
                self.store.keys[key] = ident
            if self.store.lose_create_answers > 0:
                self.store.lose_create_answers -= 1
                return _json({"error": {"message": "bad gateway"}}, 502)
        return _json({"data": self.store.orders[ident]}, 201)

    async def order(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        found = self.store.orders.get(request.path_params["id"])
        if found is None:
            return _json({"error": {"message": "no such order"}}, 404)
        if request.method == "PUT":
            found.update(await request.json())
        return _json({"data": found})

    async def ship(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        found = self.store.orders.get(request.path_params["id"])
        if found is None:
            return _json({"error": {"message": "no such order"}}, 404)
        found["shipments"].append(await request.json())
        return _json({"data": found}, 201)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status, {"content-type": "application/json", **(headers or {})}
    )
