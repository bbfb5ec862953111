"""Products, prices and stock per warehouse read from Unleashed (the source half).

- Products: ``/Products`` with ``includeObsolete=true`` (an obsoleted product comes back as
  discontinued, never vanishes), ``modifiedSince`` and ``orderBy=LastModifiedOn`` for changes,
  ``orderBy=CreatedOn`` for listings. The price is the product's ``DefaultSellPrice``.
- Stock: ``/StockOnHand`` one warehouse at a time (``warehouseCode``), since each row is one
  product in one warehouse. A product with no stock transactions has no row: its quantity is
  0 there, and a single-item read (``get_stock``) says so explicitly for every warehouse.
- Warehouses: ``/Warehouses``, read once per connector; a warehouse's location is its name,
  or the name ``location_map`` gives its code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from syncwright.connectors.base import ChangeQuery, ListQuery, Page
from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import Product, StockLevel
from syncwright.connectors.unleashed import paging, wire
from syncwright.connectors.unleashed.client import UnleashedClient
from syncwright.connectors.unleashed.settings import UnleashedSettings

PRODUCTS = {"includeObsolete": "true"}
#: A stock pass key's id is "~" and a JSON object of every warehouse's position.
STATE = "~{"


class Catalog:
    def __init__(self, client: UnleashedClient, settings: UnleashedSettings) -> None:
        self.client = client
        self.system = client.system
        self.settings = settings
        self._warehouses: dict[str, str] | None = None
        #: SKU -> product GUID, from every product read (saves a look-up per stock read).
        self.guids: dict[str, str] = {}

    def _size(self, limit: int) -> int:
        return max(1, min(limit, self.settings.page_size))

    # -- products ---------------------------------------------------------------------------

    def _product(self, row: dict[str, Any]) -> Product:
        product = wire.product_from(row, self.system)
        sku = product.variants[0].sku if product.variants else None
        if sku:
            self.guids[sku] = product.external_id
        return product

    def _product_key(self, row: dict[str, Any]) -> paging.Key:
        stamp = wire.stamp_of(row, "a product", self.system)
        return (wire.to_token(stamp), wire.guid_of(row, "a product", self.system))

    async def changed_products(self, query: ChangeQuery) -> Page[Product]:
        batch = await paging.changed(
            self.client, "Products", PRODUCTS, query, self._product_key, self._size(query.limit)
        )
        items = [self._product(row) for _, row in batch.rows]
        last = batch.rows[-1][0] if batch.rows else None
        return Page(items, last, batch.complete, batch.next_key)

    async def list_products(self, query: ListQuery) -> Page[Product]:
        number, size = paging.listing_position(query.after, self._size(query.limit))
        page = await self.client.page(
            "Products", number, {**PRODUCTS, "orderBy": "CreatedOn", "pageSize": size}
        )
        items = [self._product(row) for row in page.items]
        last = ("", items[-1].external_id) if items else None
        return Page(items, last, page.last, paging.listing_key(number + 1, size))

    async def get_product(self, id_or_sku: str) -> Product | None:
        """One product by its GUID (one call) or its exact code (one call: the code filter
        matches prefixes, so the exact one is picked out)."""
        if _is_guid(id_or_sku):
            row = await self.client.get_one(f"/Products/{id_or_sku}")
            return None if row is None else self._product(row)
        page = await self.client.page(
            "Products", 1, {**PRODUCTS, "productCode": id_or_sku, "pageSize": 1000}
        )
        for row in page.items:
            if wire.text(row, "ProductCode") == id_or_sku:
                return self._product(row)
        return None

    # -- stock ------------------------------------------------------------------------------

    async def warehouses(self) -> dict[str, str]:
        """Warehouse code -> location name, read once."""
        if self._warehouses is None:
            found: dict[str, str] = {}
            number = 1
            while True:
                page = await self.client.page("Warehouses", number, {"pageSize": 1000})
                for row in page.items:
                    code = wire.text(row, "WarehouseCode")
                    if not code or row.get("Obsolete") is True:
                        continue
                    name = wire.text(row, "WarehouseName") or code
                    found[code] = self.settings.location_map.get(code, name)
                if page.last:
                    break
                number += 1
            self._warehouses = found
        return self._warehouses

    def _quantity(self, row: dict[str, Any]) -> int:
        on_hand = wire.decimal(row.get("QtyOnHand")) or Decimal(0)
        if self.settings.stock_quantity == "on_hand":
            return int(on_hand)
        available = wire.decimal(row.get("AvailableQty"))
        if available is None:
            available = on_hand - (wire.decimal(row.get("AllocatedQty")) or Decimal(0))
        return int(available)

    def _level(self, row: dict[str, Any], location: str) -> StockLevel:
        code = wire.text(row, "ProductCode")
        guid = row.get("ProductGuid")
        if not code or not isinstance(guid, str):
            raise PayloadError("a stock row without ProductCode or ProductGuid", system=self.system)
        self.guids[code] = guid.lower()
        return StockLevel(
            sku=code,
            location=location,
            quantity=self._quantity(row),
            variant_external_id=guid.lower(),
            modified_at=wire.parse_date(row.get("LastModifiedOn")),
        )

    def _stock_key(self, code: str) -> Any:
        def key(row: dict[str, Any]) -> paging.Key:
            stamp = wire.stamp_of(row, "a stock row", self.system)
            guid = str(row.get("ProductGuid", "")).lower()
            return (wire.to_token(stamp), f"{guid}|{code}")

        return key

    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]:
        """Changed stock of every warehouse. Each warehouse is its own pass (its own key, or
        its own page walk through a crowd of equal times); a page holds what each gave and
        its ``next_key`` carries every warehouse's position, so none is read twice or
        skipped however far the others got."""
        warehouses = sorted((await self.warehouses()).items())
        states = _states(query, [code for code, _ in warehouses])
        rows: list[tuple[paging.Key, dict[str, Any], str]] = []
        after: dict[str, paging.Key | None] = {}
        for code, location in warehouses:
            own = states[code]
            if own is None:
                after[code] = None
                continue
            batch = await paging.changed(
                self.client,
                "StockOnHand",
                {"warehouseCode": code},
                own,
                self._stock_key(code),
                self._size(query.limit),
            )
            rows += [(key, row, location) for key, row in batch.rows]
            if batch.complete:
                after[code] = None
            else:
                after[code] = batch.next_key or batch.rows[-1][0]
        rows.sort(key=lambda krl: krl[0])
        levels = [self._level(row, location) for _, row, location in rows]
        last = rows[-1][0] if rows else None
        open_ = [key for key in after.values() if key is not None]
        if not open_:
            return Page(levels, last, True)
        state = json.dumps({c: list(k) if k else None for c, k in after.items()}, sort_keys=True)
        return Page(levels, last, False, (min(k[0] for k in open_), "~" + state))

    async def list_stock(self, query: ListQuery) -> Page[StockLevel]:
        """Every stock row, warehouse by warehouse (position ``"<warehouse>:<page>/<size>"``)."""
        codes = sorted((await self.warehouses()).items())
        index, _, position = (query.after or "0:").partition(":")
        at = int(index) if index.isdigit() else 0
        if at >= len(codes):
            return Page([], None, True)
        number, size = paging.listing_position(position, self._size(query.limit))
        code, location = codes[at]
        page = await self.client.page(
            "StockOnHand", number, {"warehouseCode": code, "pageSize": size}
        )
        levels = [self._level(row, location) for row in page.items]
        nxt = f"{at}:{number + 1}/{size}" if not page.last else f"{at + 1}:1/{size}"
        done = page.last and at + 1 >= len(codes)
        last = ("", f"{levels[-1].sku}|{location}") if levels else None
        return Page(levels, last, done, ("", nxt))

    async def get_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """Each SKU's quantity in every warehouse: one call per product (its AllWarehouses
        read), plus one to find its GUID when no read has shown it yet. A warehouse without a
        row holds 0 of it."""
        warehouses = await self.warehouses()
        out: list[StockLevel] = []
        for sku in skus:
            guid = self.guids.get(sku)
            if guid is None:
                product = await self.get_product(sku)
                if product is None:
                    continue
                guid = product.external_id
            body = await self.client.request("GET", f"/StockOnHand/{guid}/AllWarehouses")
            rows = body.get("Items") if isinstance(body, dict) else body
            seen: dict[str, StockLevel] = {}
            for row in rows if isinstance(rows, list) else []:
                code = wire.text(row, "WarehouseCode") if isinstance(row, dict) else ""
                if code in warehouses:
                    seen[code] = self._level({**row, "ProductCode": sku}, warehouses[code])
            for code, location in sorted(warehouses.items()):
                out.append(
                    seen.get(code)
                    or StockLevel(sku=sku, location=location, quantity=0, variant_external_id=guid)
                )
        return out


def _states(query: ChangeQuery, codes: list[str]) -> dict[str, ChangeQuery | None]:
    """Each warehouse's own query (None: its pass is done) from the pass's key."""
    after = query.after
    if after is None or not after[1].startswith(STATE):
        return {code: query for code in codes}
    try:
        saved = json.loads(after[1][1:])
    except ValueError:
        saved = None
    if not isinstance(saved, dict):
        return {code: ChangeQuery(query.since, None, query.limit) for code in codes}
    out: dict[str, ChangeQuery | None] = {}
    for code in codes:
        key = saved.get(code, "new")
        if key is None:
            out[code] = None
        elif isinstance(key, list) and len(key) == 2 and all(isinstance(k, str) for k in key):
            out[code] = ChangeQuery(query.since, (key[0], key[1]), query.limit)
        else:  # a warehouse the pass did not know yet: from the pass's start
            out[code] = ChangeQuery(query.since, None, query.limit)
    return out


def _is_guid(value: str) -> bool:
    parts = value.split("-")
    return len(parts) == 5 and all(
        p and all(c in "0123456789abcdefABCDEF" for c in p) for p in parts
    )
