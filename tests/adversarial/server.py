"""The adversarial source on loopback, speaking the sandbox ERP's wire (connectors/sandbox/
clients/erp.py reads it): change pages by (modified_at, id) with ``since``, ``after_modified``,
``after_id`` and ``limit``; listings by id; ``{"items": [...], "next": {...} | null}``.

It runs under uvicorn in a thread of the test process, so a test changes the feed between
daemon runs and a hook changes it between two pages of one pass (``on_page``).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adversarial.faults import Faults, http_date
from adversarial.feed import Feed

#: Called after a change page was built, before it is answered: (entity, page number in this
#: server's life, the items' ids). Scenarios change the feed here, between two reads.
PageHook = Callable[[str, int, list[int]], None]


class FeedServer:
    """Serves ``feed`` with ``faults`` on 127.0.0.1; a context manager."""

    def __init__(self, feed: Feed, faults: Faults | None = None, api_key: str = "k") -> None:
        self.feed = feed
        self.faults = faults or Faults()
        self.api_key = api_key
        self.on_page: PageHook | None = None
        self.pages: dict[str, int] = {}
        self.requests = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- running -------------------------------------------------------------------------

    def __enter__(self) -> FeedServer:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app(),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            date_header=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the adversarial source did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)

    # -- the API -------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/products/changes", self._changes("products")),
                Route("/api/stock/changes", self._changes("stock")),
                Route("/api/products/by-sku/{sku}", self._product_by_sku),
                Route("/api/products/{id:int}", self._product),
                Route("/api/products", self._listing("products")),
                Route("/api/stock/by-sku", self._stock_by_sku),
                Route("/api/stock", self._listing("stock")),
                Route("/api/settings", self._settings),
                Route("/v2/products", self._numbered("products")),
                Route("/v2/stock", self._numbered("stock")),
            ]
        )

    def _changes(self, entity: str) -> Callable[[Request], Any]:
        async def answer(request: Request) -> Response:
            refused = await self._guard(request)
            if refused is not None:
                return refused
            q = request.query_params
            after_id = q.get("after_id")
            after = None if after_id is None else (q["after_modified"], int(after_id))
            limit = int(q.get("limit", "100"))
            items, follow = self.feed.changes(entity, q.get("since"), after, limit)
            if self.faults.slow_pages and self.faults.slow_entity in (None, entity):
                await anyio.sleep(self.faults.slow_pages)
            self.pages[entity] = self.pages.get(entity, 0) + 1
            if self.on_page is not None:
                self.on_page(entity, self.pages[entity], [int(i["id"]) for i in items])
            return self._page(items, follow)

        return answer

    def _numbered(self, entity: str) -> Callable[[Request], Any]:
        """The second wire: numbered pages with a ``Link`` header (rel="next"), the change
        feed with ``sort=updated`` and an inclusive ``updated_since``, records under "data"."""

        async def answer(request: Request) -> Response:
            refused = await self._guard(request)
            if refused is not None:
                return refused
            q = request.query_params
            page, size = int(q.get("page", "1")), int(q.get("per_page", "100"))
            by_time = q.get("sort") == "updated"
            if not by_time and self.faults.listing_fails(page):
                return self._json({"error": "the listing broke half-way"}, 500)
            items, more = self.feed.numbered(
                entity, q.get("updated_since"), page, size, by_time=by_time
            )
            if by_time:
                if self.faults.slow_pages and self.faults.slow_entity in (None, entity):
                    await anyio.sleep(self.faults.slow_pages)
                self.pages[entity] = self.pages.get(entity, 0) + 1
                if self.on_page is not None:
                    self.on_page(entity, self.pages[entity], [int(i["id"]) for i in items])
            link = {}
            if more:
                link["link"] = f'<{request.url.include_query_params(page=page + 1)}>; rel="next"'
            return self._json({"data": items}, 200, link)

        return answer

    def _listing(self, entity: str) -> Callable[[Request], Any]:
        async def answer(request: Request) -> Response:
            refused = await self._guard(request)
            if refused is not None:
                return refused
            after_id = int(request.query_params.get("after_id") or 0)
            if self.faults.listing_fails(1 if after_id == 0 else 2):
                return self._json({"error": "the listing broke half-way"}, 500)
            limit = int(request.query_params.get("limit", "100"))
            items, follow = self.feed.listing(entity, after_id, limit)
            return self._page(items, follow)

        return answer

    async def _product(self, request: Request) -> Response:
        refused = await self._guard(request)
        if refused is not None:
            return refused
        found = self.feed.product(int(request.path_params["id"]))
        return self._json(found) if found else self._json({"error": "no such product"}, 404)

    async def _product_by_sku(self, request: Request) -> Response:
        refused = await self._guard(request)
        if refused is not None:
            return refused
        sku = request.path_params["sku"]
        found = self.feed.product(int(sku[4:])) if sku.startswith("ADV-") else None
        return self._json(found) if found else self._json({"error": "no such SKU"}, 404)

    async def _stock_by_sku(self, request: Request) -> Response:
        refused = await self._guard(request)
        if refused is not None:
            return refused
        skus = (request.query_params.get("skus") or "").split(",")
        return self._page(self.feed.stock_by_sku(skus), None)

    async def _settings(self, request: Request) -> Response:
        refused = await self._guard(request)
        if refused is not None:
            return refused
        return self._json({"currency": "EUR", "name": "Adversarial", "modified_at": None})

    # -- faults --------------------------------------------------------------------------

    async def _guard(self, request: Request) -> Response | None:
        """Authentication, then the fault this request draws (None: answer it properly)."""
        self.requests += 1
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return self._json({"error": "bad key"}, 401)
        fault = self.faults.draw()
        if fault is None:
            return None
        source_now = self.feed.now()
        wait = self.faults.retry_after
        if fault == "429-seconds":
            return self._json({"error": "slow down"}, 429, {"Retry-After": f"{wait:g}"})
        if fault in ("429-date", "429-past"):
            until = source_now + (wait if fault == "429-date" else -30)
            headers = {"Retry-After": http_date(until)}
            return self._json({"error": "slow down"}, 429, headers)
        if fault in ("500", "503"):
            return self._json({"error": "server trouble"}, int(fault))
        if fault == "timeout":
            await anyio.sleep(self.faults.hold)
            return None
        if fault == "truncated":
            return Response(b'{"items": [{"id": 1, "modified_at": "20', 200, self._headers())
        return self._json({"items": {"not": "a list"}, "next": None})  # malformed

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Every answer's Date is on the source's clock, as a server's would be."""
        return {
            "content-type": "application/json",
            "date": http_date(self.feed.now()),
            **(extra or {}),
        }

    def _json(self, body: Any, status: int = 200, extra: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(body), status, self._headers(extra))

    def _page(self, items: list[dict[str, Any]], follow: dict[str, Any] | None) -> Response:
        return self._json({"items": items, "next": follow})
