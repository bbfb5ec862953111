"""Items: products, prices and stock from ``/Items``, which Xero answers whole, never paged.

One GET per pass: the first page of a pass (``after`` None) reads every item modified since the
pass's lower bound (``If-Modified-Since``, to the second, inclusive) and keeps them in memory,
ordered by (UpdatedDateUTC, ItemID); the pass's later pages are cut from that copy. Listings
work the same way, ordered by ItemID. Items are hard-deleted in Xero with no tombstone, so
deletions show only as absence from a complete id listing (``list_product_ids``).

Stock is the QuantityOnHand of tracked items at the one location Xero has. Xero changes it only
through invoices, bills and credit notes and cannot be told to write it: this is read only.
Whether such a change moves the item's UpdatedDateUTC is not documented; the emulator assumes
it does, and the daemon's ghost sweeps re-read items the feed might miss.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from syncwright.connectors.base import ChangeQuery, ListQuery, Page
from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.model import Product, StockLevel
from syncwright.connectors.xero import wire
from syncwright.connectors.xero.transport import XeroHttp, validation_messages

R = TypeVar("R")
Row = tuple[Any, datetime, str]  # raw item, UpdatedDateUTC, ItemID

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
#: Codes per ``where`` look-up: long URLs are refused (the IDs filter tops out near 50).
LOOKUP_CHUNK = 25


class Catalog:
    def __init__(self, http: XeroHttp, system: str, location: str, account_code: str) -> None:
        self.http = http
        self.system = system
        self.location = location
        self.account_code = account_code
        self._passes: dict[str, tuple[str | None, list[Row]]] = {}

    # -- reading --------------------------------------------------------------------------

    async def _fetch(self, since: str | None) -> list[Row]:
        headers = {} if since is None else {"If-Modified-Since": wire.modified_since(since)}
        body = await self.http.request(
            "GET", "/Items", params={"order": "UpdatedDateUTC ASC"}, headers=headers
        )
        raw = _array(body, "Items", self.system)
        return [wire.item_key(item, self.system) for item in raw]

    async def _rows(self, purpose: str, since: str | None, first: bool) -> list[Row]:
        """The pass's items: read at its first page (or when this object has not read them,
        e.g. after a restart), then kept, one pass per purpose, until the next pass begins."""
        held = self._passes.get(purpose)
        if first or held is None or held[0] != since:
            rows = await self._fetch(since)
            if purpose == "list":
                rows.sort(key=lambda row: row[2])
            else:
                rows.sort(key=lambda row: (row[1], row[2]))
            held = self._passes[purpose] = (since, rows)
        return held[1]

    async def _changes(
        self, purpose: str, query: ChangeQuery, mapper: Callable[[Any], R | None]
    ) -> Page[R]:
        rows = await self._rows(purpose, query.since, query.after is None)
        low = None if query.since is None else wire.parse_date(query.since)
        after = None
        if query.after is not None:
            when = wire.parse_date(query.after[0])
            after = None if when is None else (when, query.after[1])
        picked = [
            row
            for row in rows
            if (low is None or row[1] >= low) and (after is None or (row[1], row[2]) > after)
        ]
        taken = picked[: query.limit]
        items = [m for m in (mapper(row[0]) for row in taken) if m is not None]
        last = (wire.token(taken[-1][1]), taken[-1][2]) if taken else None
        return Page(items, last, complete=len(picked) <= query.limit)

    async def _listing(
        self, purpose: str, query: ListQuery, mapper: Callable[[Any], R | None]
    ) -> Page[R]:
        rows = await self._rows("list", None, query.after is None)
        picked = [row for row in rows if query.after is None or row[2] > query.after]
        taken = picked[: query.limit]
        items = [m for m in (mapper(row[0]) for row in taken) if m is not None]
        last = ("", taken[-1][2]) if taken else None
        return Page(items, last, complete=len(picked) <= query.limit)

    async def changed_products(self, query: ChangeQuery) -> Page[Product]:
        return await self._changes("products", query, self._product)

    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]:
        return await self._changes("stock", query, self._stock)

    async def list_products(self, query: ListQuery) -> Page[Product]:
        return await self._listing("list", query, self._product)

    async def list_stock(self, query: ListQuery) -> Page[StockLevel]:
        return await self._listing("list", query, self._stock)

    async def list_product_ids(self, query: ListQuery) -> Page[str]:
        return await self._listing("list", query, lambda raw: str(raw["ItemID"]))

    async def get_product(self, id_or_sku: str) -> Product | None:
        found = await self._lookup([id_or_sku], by_id=bool(GUID.match(id_or_sku)))
        return self._product(found[0]) if found else None

    async def get_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        levels: list[StockLevel] = []
        wanted = sorted(set(skus))
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            for raw in await self._lookup(wanted[start : start + LOOKUP_CHUNK], by_id=False):
                level = self._stock(raw)
                if level is not None:
                    levels.append(level)
        return levels

    async def _lookup(self, keys: Sequence[str], *, by_id: bool) -> list[Any]:
        if by_id:
            try:
                body = await self.http.request("GET", f"/Items/{keys[0]}")
            except PermanentError as exc:
                if exc.status == 404:
                    return []
                raise
        else:
            where = " OR ".join(f'Code=="{wire.escape(code)}"' for code in keys)
            body = await self.http.request("GET", "/Items", params={"where": where})
        return _array(body, "Items", self.system)

    def _product(self, raw: Any) -> Product:
        return wire.product(raw, self.system)

    def _stock(self, raw: Any) -> StockLevel | None:
        return wire.stock(raw, self.location, self.system)

    # -- writing --------------------------------------------------------------------------

    async def create_product(self, product: Product) -> str:
        """Create an item at sale time; an item already holding the code is linked instead."""
        body = wire.item_body(product, self.account_code)
        key = hashlib.sha256(f"{self.system}|item|{body['Code']}".encode()).hexdigest()[:64]
        answer = await self.http.request(
            "PUT",
            "/Items",
            params={"summarizeErrors": "false"},
            json_body={"Items": [body]},
            headers={"Idempotency-Key": f"sw-{key}"},
        )
        created = _array(answer, "Items", self.system)
        if not created or not isinstance(created[0], dict):
            raise PayloadError("the item create answered no item", system=self.system)
        item = created[0]
        messages = validation_messages([item]) if item.get("HasErrors") else []
        if messages:
            existing = await self._lookup([str(body["Code"])], by_id=False)
            if existing and isinstance(existing[0], dict) and existing[0].get("ItemID"):
                return str(existing[0]["ItemID"])
            raise PermanentError(
                f"Xero refused item {body['Code']}: {'; '.join(messages)}", system=self.system
            )
        if not isinstance(item.get("ItemID"), str):
            raise PayloadError("the created item has no ItemID", system=self.system)
        return str(item["ItemID"])


def _array(body: Any, name: str, system: str) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get(name), list):
        raise PayloadError(f"the answer holds no {name} array", system=system)
    return list(body[name])
