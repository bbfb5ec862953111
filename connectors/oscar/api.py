"""HTTP plumbing for django-oscar-api's admin API: token auth, paginated listings, strict reads.

Listings are DRF pages (``{"count", "next", "previous", "results"}`` with limit/offset
pagination) or plain lists when the shop has no pagination; both are read to the end.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from syncwright.connectors.base import CallGate
from syncwright.connectors.errors import PayloadError
from syncwright.connectors.http import JsonClient

PAGE = 100
#: Listing pages read at most, so a shop that keeps answering ``next`` cannot loop forever.
MAX_PAGES = 10_000
_ID = re.compile(r"/(\d+)/?$")


class OscarHttp(JsonClient):
    def __init__(
        self,
        url: str,
        token: str,
        *,
        system: str,
        gate: CallGate,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            url,
            system=system,
            gate=gate,
            headers={"Authorization": f"Token {token}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    async def all(self, path: str, what: str) -> list[dict[str, Any]]:
        """Every item of a listing, page by page."""
        items: list[dict[str, Any]] = []
        url: str | None = path
        params: dict[str, Any] | None = {"limit": PAGE, "offset": 0}
        for _ in range(MAX_PAGES):
            if url is None:
                return items
            body = await self.request("GET", url, params=params)
            params = None  # "next" carries its own query
            if isinstance(body, list):
                results, url = body, None
            elif isinstance(body, Mapping) and isinstance(body.get("results"), list):
                results = body["results"]
                nxt = body.get("next")
                url = nxt if isinstance(nxt, str) and nxt else None
            else:
                raise PayloadError(f"{what} is neither a list nor a page", system=self.system)
            for raw in results:
                if not isinstance(raw, dict):
                    raise PayloadError(f"{what}: an item is not an object", system=self.system)
                items.append(raw)
        raise PayloadError(f"{what} has more than {MAX_PAGES} pages", system=self.system)


def text(obj: Mapping[str, Any], key: str, what: str, system: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise PayloadError(f"{what}: '{key}' should be a string", system=system)
    return value


def number(
    obj: Mapping[str, Any], key: str, what: str, system: str, default: int | None = None
) -> int:
    value = obj.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"{what}: '{key}' should be an integer", system=system)
    return value


def money(obj: Mapping[str, Any], key: str, what: str, system: str) -> Decimal:
    value = obj.get(key)
    try:
        amount = Decimal(str(value)) if isinstance(value, str | int) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise PayloadError(f"{what}: '{key}' should be a decimal string", system=system)
    return amount


def id_of(url: str, what: str, system: str) -> int:
    """The numeric id at the end of an API URL such as ``.../orders/12/``."""
    found = _ID.search(url.split("?", 1)[0])
    if found is None:
        raise PayloadError(f"{what}: {url!r} does not end in an id", system=system)
    return int(found.group(1))
