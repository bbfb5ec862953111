"""Stock writes: inventory item lookup by SKU, then inventorySetQuantities per location.

Never a blind overwrite: each quantity carries what we just read as its expected current value
(``compareQuantity`` up to 2025-10, ``changeFromQuantity`` from 2026-01), so a sale that lands
between our read and our write makes Shopify refuse with a *_STALE error; we then read again
and retry once. From 2026-01 each call also carries an ``@idempotent`` key of its own
(required from 2026-04). A job re-run after a lost answer reads again first: if the lost call
went through, the quantity is already right and nothing is written. Levels that already hold
the wanted quantity are not written. An item not stocked at a location is
activated there once, when the look-up before the write shows it is not, never on every run.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.model import StockLevel, WriteResult
from syncwright.connectors.shopify import queries
from syncwright.connectors.shopify.transport import ShopifyTransport
from syncwright.connectors.shopify.versions import Features

#: Inventory items per lookup: the level selection costs ~18 points per item (<= 1,000).
LOOKUP_CHUNK = 50
#: Quantities per inventorySetQuantities call (Shopify's input array limit).
SET_CHUNK = 250
#: Item ids remembered for webhook resolution (about 100 bytes each).
MAX_REMEMBERED = 500_000
STALE = {"COMPARE_QUANTITY_STALE", "CHANGE_FROM_QUANTITY_STALE"}


@dataclass(slots=True)
class Item:
    id: str
    sku: str
    #: location gid -> available quantity, for the locations the item is stocked at
    levels: dict[str, int] = field(default_factory=dict)


class Inventory:
    def __init__(
        self,
        transport: ShopifyTransport,
        features: Features,
        location_map: Mapping[str, str],
        system: str,
    ) -> None:
        self.t = transport
        self.features = features
        self.system = system
        self.location_map = dict(location_map)
        self._locations: dict[str, str] | None = None  # source location name -> gid
        #: inventory item id -> SKU, as lookups saw them (webhooks name items, not SKUs)
        self.sku_by_item: dict[str, str] = {}

    async def locations(self) -> dict[str, str]:
        """Source location name -> Shopify location id, from the configured map (values may be
        Shopify location names or ids)."""
        if self._locations is None:
            data = await self.t.call(queries.LOCATIONS)
            by_name = {
                str(n.get("name")): str(n.get("id"))
                for n in (data.get("locations") or {}).get("nodes") or []
                if isinstance(n, dict)
            }
            resolved: dict[str, str] = {}
            for source, target in self.location_map.items():
                if target.startswith("gid://shopify/Location/"):
                    resolved[source] = target
                elif target in by_name:
                    resolved[source] = by_name[target]
                else:
                    raise PermanentError(
                        f"location_map: Shopify has no location named {target!r} "
                        f"(it has: {', '.join(sorted(by_name)) or 'none'})",
                        system=self.system,
                    )
            self._locations = resolved
        return self._locations

    async def lookup(self, skus: Sequence[str]) -> dict[str, Item]:
        found: dict[str, Item] = {}
        wanted = sorted(set(skus))
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            part = wanted[start : start + LOOKUP_CHUNK]
            search = " OR ".join(f"sku:{json.dumps(sku)}" for sku in part)
            after: str | None = None
            while True:
                data = await self.t.call(
                    queries.INVENTORY_ITEMS,
                    {"query": search, "first": len(part), "after": after},
                )
                conn = data.get("inventoryItems")
                if not isinstance(conn, dict):
                    raise PayloadError(
                        "inventoryItems answer without a connection", system=self.system
                    )
                for node in conn.get("nodes") or []:
                    item = _item(node)
                    if item is not None and item.sku in part:
                        found[item.sku] = item
                        if len(self.sku_by_item) < MAX_REMEMBERED:
                            self.sku_by_item[item.id] = item.sku
                page = conn.get("pageInfo") or {}
                after = page.get("endCursor")
                if not page.get("hasNextPage") or not after:
                    break
        return found

    async def read(self, skus: Sequence[str]) -> list[StockLevel]:
        names = {gid: name for name, gid in (await self.locations()).items()}
        levels = []
        for sku, item in (await self.lookup(skus)).items():
            for location, quantity in item.levels.items():
                if location in names:
                    levels.append(StockLevel(sku=sku, location=names[location], quantity=quantity))
        return levels

    async def write(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        locations = await self.locations()
        results: dict[int, WriteResult] = {}
        todo: list[tuple[int, StockLevel, str]] = []
        for index, level in enumerate(levels):
            where = locations.get(level.location)
            if where is None:
                results[index] = _failed(
                    level, f"location {level.location!r} is not in location_map"
                )
            else:
                todo.append((index, level, where))
        for attempt in range(2):
            if not todo:
                break
            items = await self.lookup([level.sku for _, level, _ in todo])
            retry: list[tuple[int, StockLevel, str]] = []
            by_location: dict[str, list[tuple[int, StockLevel, Item]]] = {}
            for index, level, where in todo:
                item = items.get(level.sku)
                if item is None:
                    results[index] = _failed(
                        level, f"Shopify has no inventory item with SKU {level.sku}"
                    )
                    continue
                if where not in item.levels:
                    await self._activate(item.id, where)
                    item.levels[where] = 0
                if item.levels[where] == level.quantity:
                    results[index] = _ok(level, item.id, where)
                    continue
                by_location.setdefault(where, []).append((index, level, item))
            for where, group in by_location.items():
                for start in range(0, len(group), SET_CHUNK):
                    part = group[start : start + SET_CHUNK]
                    stale = await self._set(where, part, results)
                    if stale and attempt == 0:
                        retry += [(i, lvl, where) for i, lvl, _ in part if i not in results]
            todo = retry
        for index, level, _ in todo:
            results.setdefault(
                index, _failed(level, "quantity kept changing on Shopify; retry later")
            )
        return [results[i] for i in range(len(levels))]

    async def _set(
        self, where: str, part: list[tuple[int, StockLevel, Item]], results: dict[int, WriteResult]
    ) -> bool:
        """One call; returns True when Shopify refused it as stale (nothing was applied)."""
        compare = "changeFromQuantity" if self.features.change_from else "compareQuantity"
        quantities = [
            {
                "inventoryItemId": item.id,
                "locationId": where,
                "quantity": level.quantity,
                compare: item.levels[where],
            }
            for _, level, item in part
        ]
        payload = {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": "syncwright://stock",
            "quantities": quantities,
        }
        if self.features.change_from:
            # One key per call: a repeat of this very call replays, a later identical change
            # (a new call) is applied. Retries by the daemon re-read first (see above).
            key = str(uuid.uuid4())
            data = await self.t.call(
                queries.INVENTORY_SET_IDEMPOTENT, {"input": payload, "key": key}
            )
        else:
            data = await self.t.call(queries.INVENTORY_SET_COMPARE, {"input": payload})
        answer = data.get("inventorySetQuantities")
        errors = answer.get("userErrors") if isinstance(answer, dict) else None
        if not isinstance(errors, list):
            raise PayloadError(
                "inventorySetQuantities answer without userErrors", system=self.system
            )
        if any(isinstance(e, dict) and e.get("code") in STALE for e in errors):
            return True
        blamed: dict[int, str] = {}
        for error in errors:
            if not isinstance(error, dict):
                continue
            path = error.get("field") or []
            position = next(
                (p for p in path if isinstance(p, int | str) and str(p).isdigit()), None
            )
            message = f"{error.get('code') or 'error'}: {error.get('message')}"
            if position is not None and int(position) < len(part):
                blamed[int(position)] = message
            else:
                for n in range(len(part)):
                    blamed.setdefault(n, message)
        for n, (index, level, item) in enumerate(part):
            if blamed:
                # Shopify applies all or nothing: the others are refused with the same call.
                results[index] = _failed(level, blamed.get(n, "refused with its batch: retry"))
            else:
                results[index] = _ok(level, item.id, where)
                item.levels[where] = level.quantity
        return False

    async def _activate(self, item: str, location: str) -> None:
        data = await self.t.call(queries.INVENTORY_ACTIVATE, {"item": item, "location": location})
        answer = data.get("inventoryActivate")
        errors = answer.get("userErrors") if isinstance(answer, dict) else None
        if errors:
            raise PermanentError(
                f"could not stock {item} at {location}: {errors}", system=self.system
            )


def _item(node: Any) -> Item | None:
    try:
        return _read_item(node)
    except (ValueError, TypeError, AttributeError) as exc:
        raise PayloadError(f"Shopify sent an inventory item we cannot read: {exc}") from exc


def _read_item(node: Any) -> Item | None:
    if not isinstance(node, dict) or not isinstance(node.get("sku"), str):
        return None
    item = Item(id=str(node.get("id")), sku=node["sku"])
    for level in (node.get("inventoryLevels") or {}).get("nodes") or []:
        location = (level.get("location") or {}).get("id") if isinstance(level, dict) else None
        for quantity in level.get("quantities") or [] if isinstance(level, dict) else []:
            if location and quantity.get("name") == "available":
                item.levels[str(location)] = int(quantity.get("quantity") or 0)
    return item


def _ok(level: StockLevel, item: str, where: str) -> WriteResult:
    return WriteResult(external_id=f"{level.sku}|{level.location}", remote_id=f"{item}|{where}")


def _failed(level: StockLevel, error: str) -> WriteResult:
    return WriteResult(external_id=f"{level.sku}|{level.location}", error=error)
