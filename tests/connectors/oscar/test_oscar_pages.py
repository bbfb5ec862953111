"""Oscar listings are read to the end through DRF's absolute "next" links (issue 14 item 1)."""

from __future__ import annotations

import json

import anyio
import httpx

from syncwright.connectors.base import OpenGate
from syncwright.connectors.oscar.api import PAGE, OscarHttp

TOTAL = 2 * PAGE + 37


def _drf(request: httpx.Request) -> httpx.Response:
    """limit/offset pages with absolute next links, like django-rest-framework."""
    limit = int(request.url.params.get("limit", PAGE))
    offset = int(request.url.params.get("offset", 0))
    items = [{"id": n} for n in range(offset, min(offset + limit, TOTAL))]
    nxt = None
    if offset + limit < TOTAL:
        nxt = f"http://shop.test/api/admin/products/?limit={limit}&offset={offset + limit}"
    body = {"count": TOTAL, "next": nxt, "previous": None, "results": items}
    return httpx.Response(200, content=json.dumps(body).encode())


def test_a_listing_over_one_page_is_read_once_each_page() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return _drf(request)

    async def main() -> list[dict[str, int]]:
        http = OscarHttp(
            "http://shop.test",
            "t",
            system="oscar",
            gate=OpenGate(),
            timeout=5,
            transport=httpx.MockTransport(handler),
        )
        try:
            return await http.all("/api/admin/products/", "product listing")
        finally:
            await http.aclose()

    rows = anyio.run(main)
    assert [r["id"] for r in rows] == list(range(TOTAL))
    assert seen == [
        f"http://shop.test/api/admin/products/?limit={PAGE}&offset={offset}"
        for offset in (0, PAGE, 2 * PAGE)
    ]
