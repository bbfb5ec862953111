"""Stock per location on a BigCommerce store (inventory v3), for either role.

Locations come from ``GET /v3/inventory/locations`` (one call, cached), matched to the back
office's names through settings.location_map (by label, code or id; an unmapped name by
itself). Writes: ``PUT /v3/inventory/adjustments/absolute`` of up to 2,000 items, by variant
id (SKUs the catalogue has not seen are looked up, 250 per call); an unknown SKU or location is
refused per item before anything is sent. Reads: ``GET /v3/inventory/items`` by ``sku:in``
(or every item, 1,000 a page, for a source's listing: BigCommerce has no modified-since filter
on inventory, and an adjustment need not touch the product's date_modified).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from syncwright.connectors.base import ListQuery, Page
from syncwright.connectors.bigcommerce.catalog import Catalog
from syncwright.connectors.bigcommerce.transport import (
    MAX_INVENTORY_PAGE,
    MAX_PAGE,
    Transport,
    chunks,
)
from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import StockLevel, WriteResult

ADJUST_BATCH = 2000
ITEMS = "/v3/inventory/items"


class Inventory:
    def __init__(self, t: Transport, catalog: Catalog, mapping: Mapping[str, str]) -> None:
        self.t = t
        self.catalog = catalog
        self.mapping = dict(mapping)
        self._locations: dict[str, int] | None = None
        self._names: dict[int, str] = {}

    async def locations(self) -> dict[str, int]:
        """Back-office location name -> BigCommerce location id, for every location."""
        if self._locations is None:
            rows = await self.t.v3_all("/v3/inventory/locations", {})
            by_any: dict[str, int] = {}
            for row in rows:
                lid = row.get("id")
                if not isinstance(lid, int):
                    raise PayloadError("a location without an id", system=self.t.system)
                for value in (row.get("label"), row.get("code"), str(lid)):
                    if value:
                        by_any.setdefault(str(value), lid)
            back = {theirs: ours for ours, theirs in self.mapping.items()}
            found = {}
            for row in rows:
                lid = row["id"]
                label = str(row.get("label") or lid)
                ours = back.get(label) or back.get(str(row.get("code"))) or back.get(str(lid))
                name = ours or label
                found[name] = lid
                self._names[lid] = name
            for ours, theirs in self.mapping.items():
                if theirs in by_any:
                    found[ours] = by_any[theirs]
                    self._names[by_any[theirs]] = ours
            self._locations = found
        return self._locations

    async def name_of(self, location_id: int) -> str | None:
        await self.locations()
        return self._names.get(location_id)

    async def _variant_ids(self, skus: Sequence[str]) -> dict[str, int]:
        known = self.catalog.variant_ids
        missing = sorted({s for s in skus if s not in known})
        for part in chunks(missing, MAX_PAGE):
            page = await self.t.v3_page(
                "/v3/catalog/variants", {"sku:in": ",".join(part), "limit": MAX_PAGE}
            )
            for row in page.data:
                if row.get("sku") and isinstance(row.get("id"), int):
                    known[str(row["sku"])] = row["id"]
        return {s: known[s] for s in skus if s in known}

    async def write(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        places = await self.locations()
        ids = await self._variant_ids([lv.sku for lv in levels])
        results: dict[int, WriteResult] = {}
        items: list[tuple[int, dict[str, Any]]] = []
        for n, level in enumerate(levels):
            key = f"{level.sku}|{level.location}"
            if level.sku not in ids:
                results[n] = WriteResult(external_id=key, error=f"no variant with SKU {level.sku}")
            elif level.location not in places:
                results[n] = WriteResult(
                    external_id=key, error=f"no BigCommerce location for {level.location!r}"
                )
            else:
                items.append(
                    (
                        n,
                        {
                            "location_id": places[level.location],
                            "variant_id": ids[level.sku],
                            "quantity": level.quantity,
                        },
                    )
                )
        for part in chunks(items, ADJUST_BATCH):
            await self.t.call(
                "PUT",
                "/v3/inventory/adjustments/absolute",
                body={"reason": "Syncwright stock sync", "items": [i for _, i in part]},
            )
            for n, item in part:
                level = levels[n]
                results[n] = WriteResult(
                    external_id=f"{level.sku}|{level.location}",
                    remote_id=f"{item['variant_id']}|{item['location_id']}",
                )
        return [results[n] for n in range(len(levels))]

    def _levels(self, row: dict[str, Any]) -> list[StockLevel]:
        identity = row.get("identity") or {}
        sku = identity.get("sku")
        if not sku:
            return []
        out = []
        for loc in row.get("locations") or []:
            name = self._names.get(loc.get("location_id"))
            if name is None:
                continue
            quantity = loc.get("available_to_sell", loc.get("total_inventory_onhand", 0))
            out.append(
                StockLevel(
                    sku=str(sku),
                    location=name,
                    quantity=int(quantity),
                    variant_external_id=str(identity.get("variant_id")),
                )
            )
        return out

    async def read(self, skus: Sequence[str]) -> list[StockLevel]:
        await self.locations()
        out: list[StockLevel] = []
        for part in chunks(sorted(set(skus)), MAX_PAGE):
            page = await self.t.v3_page(
                ITEMS, {"sku:in": ",".join(part), "limit": MAX_INVENTORY_PAGE}
            )
            for row in page.data:
                out += self._levels(row)
        return out

    async def listing(self, query: ListQuery) -> Page[StockLevel]:
        """Every level, as many variants a page as keep the page within ``query.limit`` levels
        (each variant lists every location; at most 1,000 variants). ``after`` is
        "<page>:<variants per page>" of the page read last, so a pass keeps its page size."""
        await self.locations()
        per = max(1, min(MAX_INVENTORY_PAGE, query.limit // max(1, len(self._names))))
        number = 1
        if query.after:
            done, _, size = query.after.partition(":")
            if done.isdigit() and size.isdigit() and int(size) > 0:
                number, per = int(done) + 1, int(size)
        page = await self.t.v3_page(ITEMS, {"page": number, "limit": per})
        levels = [lv for row in page.data for lv in self._levels(row)]
        key = ("", f"{number}:{per}")
        return Page(levels, key if levels else None, complete=not page.more, next_key=key)
