"""Products and stock from X-Series: version-cursor pages assembled into product families,
inventory rows per outlet named by SKU and outlet name.

Change feed: ``GET /products?after=V&deleted=true``, rows by ascending version, the next page
after the envelope's ``version.max``, the end at an empty ``data``. A pass's inclusive lower
bound ``since`` reads from ``after = since - 1``. A page holds rows, not families: a family
whose rows are not all in the page (an edit of one variant bumps only that row) is read whole
with one ``GET /products?family_name=`` (which X-Series answers with every live variant of the
families of that name; rows of other families are dropped by their parent id).

Inventory rows carry a product id and an outlet id only: SKUs come from the product rows seen
(kept per connector), and ids not seen yet are fetched one by one, or, past a few, by reading
the product collection once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from syncwright.connectors.base import ChangeQuery, ListQuery, Page
from syncwright.connectors.lightspeed_x import wire
from syncwright.connectors.lightspeed_x.transport import Transport
from syncwright.connectors.model import Product, StockLevel

Row = dict[str, Any]
#: Unknown product ids fetched one by one up to this many; more: one pass over /products.
FETCH_SINGLY = 3


class Catalog:
    def __init__(
        self, http: Transport, page_size: int, outlet_map: dict[str, str] | None = None
    ) -> None:
        self.http = http
        self.page_size = page_size
        self.outlet_map = dict(outlet_map or {})
        #: product row id -> (sku, family id); sku -> row id. Filled from every row seen.
        self.rows: dict[str, tuple[str | None, str]] = {}
        self.by_sku: dict[str, str] = {}
        self.outlets: dict[str, str] = {}
        #: family id -> the Product last built and the (row id, version) pairs it came from.
        self.built: dict[str, tuple[Product, frozenset[tuple[str, int]]]] = {}

    def learn(self, rows: Sequence[Row]) -> None:
        for r in rows:
            sku = r.get("sku") or None
            self.rows[str(r["id"])] = (None if r.get("deleted_at") else sku, wire.family_id(r))
            if sku and not r.get("deleted_at"):
                self.by_sku[str(sku)] = str(r["id"])

    # products
    async def changed_products(self, query: ChangeQuery) -> Page[Product]:
        after = after_of(query)
        got = await self.http.page("/products", after, query.limit, deleted=True)
        return await self._families_page(got.rows, got.high)

    async def list_products(self, query: ListQuery) -> Page[Product]:
        got = await self.http.page("/products", int(query.after or 0), query.limit)
        page = await self._families_page(got.rows, got.high)
        return Page(page.items, ("", str(got.high)) if got.rows else None, not got.rows)

    async def list_product_ids(self, query: ListQuery) -> Page[str]:
        """Live families' ids (their parent rows), by version: no family reads needed."""
        got = await self.http.page("/products", int(query.after or 0), query.limit)
        if not got.rows:
            return Page([], None, complete=True)
        self.learn(got.rows)
        ids = [str(r["id"]) for r in got.rows if wire.is_parent(r)]
        return Page(ids, ("", str(got.high)), complete=False)

    async def _families_page(self, rows: list[Row], high: int) -> Page[Product]:
        if not rows:
            return Page([], None, complete=True)
        self.learn(rows)
        groups: dict[str, list[Row]] = {}
        for r in rows:
            groups.setdefault(wire.family_id(r), []).append(r)
        items = [await self._family(fid, group) for fid, group in groups.items()]
        return Page(items, (str(high), str(rows[-1]["id"])), complete=False)

    async def _family(self, fid: str, seen: list[Row]) -> Product:
        if wire.complete(seen):
            return self._keep(fid, seen)
        known = self.built.get(fid)
        if known is not None and {_stamp(r) for r in seen} <= known[1]:
            return known[0]  # rows read again unchanged (the inclusive bound of a pass)
        parent = next((r for r in seen if wire.is_parent(r)), None)
        if parent is not None and parent.get("deleted_at"):
            return self._keep(fid, seen)
        # every row of a family carries the family's name: one read by it finds the rest
        name = (parent or seen[0]).get("name")
        rows = await self.http.rows("/products", {"family_name": name}) if name else []
        mine = [r for r in rows if wire.family_id(r) == fid]
        self.learn(mine)
        if not any(wire.is_parent(r) for r in [*mine, *seen]):
            # renamed or deleted meanwhile: ask for the parent itself
            parent = await self.http.get_or_none(f"/products/{fid}")
            if parent is None:  # the family is gone entirely: nothing left to sell
                return Product(
                    external_id=fid,
                    title=str(seen[0].get("name") or ""),
                    handle=str(seen[0].get("handle") or ""),
                    status="discontinued",
                )
            self.learn([parent])
            mine.append(parent)
        # per row the newest of what the page and the family read said (a deleted row of
        # the page is not in the read, which lists live rows only)
        newest: dict[str, Row] = {}
        for r in [*seen, *mine]:
            old = newest.get(str(r["id"]))
            if old is None or _stamp(r)[1] >= _stamp(old)[1]:
                newest[str(r["id"])] = r
        return self._keep(fid, list(newest.values()))

    def _keep(self, fid: str, rows: list[Row]) -> Product:
        product = wire.product(rows)
        self.built[fid] = (product, frozenset(_stamp(r) for r in rows))
        return product

    async def get_product(self, id_or_sku: str) -> Product | None:
        row: Row | None = None
        pid = self.by_sku.get(id_or_sku)
        if pid is None:
            rows = await self.http.rows("/products", {"sku": id_or_sku})
            row = rows[0] if rows else None
        if row is None:
            row = await self.http.get_or_none(f"/products/{pid or id_or_sku}")
        if row is None:
            return None
        self.learn([row])
        return await self._family(wire.family_id(row), [row])

    # stock
    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]:
        got = await self.http.page("/inventory", after_of(query), query.limit)
        if not got.rows:
            return Page([], None, complete=True)
        items = await self._levels(got.rows, got.high)
        return Page(items, (str(got.high), str(got.rows[-1]["id"])), complete=False)

    async def list_stock(self, query: ListQuery) -> Page[StockLevel]:
        got = await self.http.page("/inventory", int(query.after or 0), query.limit)
        if not got.rows:
            return Page([], None, complete=True)
        items = await self._levels(got.rows, got.high)
        return Page(items, ("", str(got.high)), complete=False)

    async def get_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        out: list[StockLevel] = []
        for sku in skus:
            pid = self.by_sku.get(sku)
            if pid is None:
                rows = await self.http.rows("/products", {"sku": sku})
                self.learn(rows)
                pid = str(rows[0]["id"]) if rows else None
            if pid is None:
                continue
            got = await self.http.page(f"/products/{pid}/inventory", 0, self.page_size)
            out.extend(await self._levels(got.rows, got.high))
        return out

    async def _levels(self, rows: list[Row], high: int) -> list[StockLevel]:
        await self._know_products({str(r["product_id"]) for r in rows})
        if any(str(r["outlet_id"]) not in self.outlets for r in rows):
            await self._load_outlets()
        out = []
        for r in rows:
            sku = self.rows.get(str(r["product_id"]), (None, ""))[0]
            outlet = self.outlets.get(str(r["outlet_id"]))
            if sku and outlet:
                out.append(wire.stock(r, sku, outlet, high))
        return out

    async def sku_of(self, product_id: str) -> str | None:
        """The SKU of a variant row by its id (a webhook names inventory by product id)."""
        await self._know_products({product_id})
        return self.rows.get(product_id, (None, ""))[0]

    async def location_of(self, outlet_id: str) -> str | None:
        if outlet_id not in self.outlets:
            await self._load_outlets()
        return self.outlets.get(outlet_id)

    async def _know_products(self, ids: set[str]) -> None:
        missing = sorted(ids - self.rows.keys())
        if len(missing) > FETCH_SINGLY:
            after = 0
            while True:
                got = await self.http.page("/products", after, self.page_size, deleted=True)
                if not got.rows:
                    break
                self.learn(got.rows)
                after = got.high
            return
        for pid in missing:
            row = await self.http.get_or_none(f"/products/{pid}")
            self.rows[pid] = (None, pid) if row is None else self.rows.get(pid, (None, pid))
            if row is not None:
                self.learn([row])

    async def _load_outlets(self) -> None:
        after = 0
        while True:
            got = await self.http.page("/outlets", after, self.page_size, deleted=True)
            if not got.rows:
                return
            self.outlets.update(
                {
                    str(r["id"]): self.outlet_map.get(str(r["name"]), str(r["name"]))
                    for r in got.rows
                }
            )
            after = got.high


def _stamp(row: Row) -> tuple[str, int]:
    return (str(row["id"]), int(row.get("version") or 0))


def after_of(query: ChangeQuery) -> int:
    """The ``after`` version of a change query: past the key, else just below ``since``."""
    if query.after is not None:
        return int(query.after[0])
    return int(query.since) - 1 if query.since is not None else 0
