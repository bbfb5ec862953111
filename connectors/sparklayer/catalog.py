"""Products, the default price list and stock on a SparkLayer site: the channel's writes.

Products (Core API, [assumed] paths): ``GET /api/v1/products?external_ids=`` finds up to
250 by our ids, ``POST /api/v1/products`` creates, ``PATCH /api/v1/products/{id}`` replaces
the fields and variants we send. A create is never blind: the ids are looked up first (or
known from this process's earlier writes), so a create lost after it committed is found, not
made twice. A PATCH answering 404 (deleted in the Dashboard) falls back to a create.

Prices go to the default list in one ``PATCH /api/v1/price-lists/{slug}/pricing`` per 1,000
SKUs: only the SKUs sent are touched. Stock goes in ``POST /api/v1/batch-update-stock`` of
250 rows; a 400 naming lines refuses those lines, and the rest are sent again once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import Product, StockLevel, WriteResult, canonical_json
from syncwright.connectors.sparklayer import wire
from syncwright.connectors.sparklayer.transport import Problem, SparkHttp

LOOKUP_CHUNK = 250
PRICE_CHUNK = 1000
STOCK_CHUNK = 250


def slug_of(name: str) -> str:
    """A price list's slug from its name ("Tryton Price" -> "tryton-price")."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "default"


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class Catalog:
    def __init__(
        self, http: SparkHttp, system: str, *, price_list: str, currency: str, locations: Any
    ) -> None:
        self.http = http
        self.system = system
        self.price_list = price_list
        self.slug = slug_of(price_list)
        self.currency = currency
        self.to_spark: dict[str, str] = dict(locations)
        self.from_spark = {v: k for k, v in self.to_spark.items()}
        #: Our product id -> SparkLayer's, learned from look-ups and writes.
        self.ids: dict[str, str] = {}
        #: What this process wrote last: product bodies (their hash) by our id, prices by SKU.
        #: A page the daemon retries after a failure mid-way (a budget window spent, a 5xx)
        #: then writes only what it had not written yet, so a page larger than one budget
        #: window still gets through. Reading items back (verification) forgets them, so a
        #: repair of drift is always written.
        self.sent_bodies: dict[str, str] = {}
        self.sent_prices: dict[str, Decimal] = {}

    # -- price list -------------------------------------------------------------------------

    async def ensure_price_list(self, name: str) -> str:
        """Find the list by slug, or create it; its slug."""
        if name != self.price_list:
            self.price_list, self.slug = name, slug_of(name)
        try:
            await self.http.call("GET", f"/api/v1/price-lists/{self.slug}")
            return self.slug
        except Problem as exc:
            if exc.status != 404:
                raise
        body = {"slug": self.slug, "name": name, "currency_code": self.currency}
        try:
            await self.http.call("POST", "/api/v1/price-lists", body=body)
        except Problem as exc:  # made meanwhile (a duplicate slug is a 400): that one stands
            if exc.status != 400 or "slug" not in str(exc.problem).lower():
                raise
        return self.slug

    # -- products ---------------------------------------------------------------------------

    async def lookup(self, external_ids: Sequence[str]) -> dict[str, Any]:
        """SparkLayer's products with these ids of ours, raw, by our id."""
        found: dict[str, Any] = {}
        for part in chunks(list(external_ids), LOOKUP_CHUNK):
            body = await self.http.call(
                "GET",
                "/api/v1/products",
                params={"external_ids": ",".join(part), "limit": LOOKUP_CHUNK},
            )
            if not isinstance(body, list):
                raise PayloadError("the product look-up is not a list", system=self.system)
            for raw in body:
                if isinstance(raw, dict) and isinstance(raw.get("external_id"), str):
                    found[raw["external_id"]] = raw
                    self.ids[raw["external_id"]] = str(raw.get("id"))
        return found

    async def upsert(self, products: Sequence[Product]) -> list[WriteResult]:
        unknown = [p.external_id for p in products if p.external_id not in self.ids]
        if unknown:
            await self.lookup(unknown)
        results: list[WriteResult] = []
        written: list[Product] = []
        for product in products:
            try:
                remote = await self._write(product)
            except Problem as exc:
                results.append(WriteResult(external_id=product.external_id, error=exc.message))
                continue
            results.append(WriteResult(external_id=product.external_id, remote_id=remote))
            written.append(product)
        refused = await self.write_prices(written)
        return [
            WriteResult(external_id=r.external_id, error=f"price list: {refused[r.external_id]}")
            if r.external_id in refused
            else r
            for r in results
        ]

    async def _write(self, product: Product) -> str:
        body = wire.product_body(product)
        digest = hashlib.sha256(canonical_json(body).encode()).hexdigest()
        pid = product.external_id
        known = self.ids.get(pid)
        if known is not None and self.sent_bodies.get(pid) == digest:
            return known  # written by this process already (the page is being retried)
        if known is not None:
            try:
                await self.http.call("PATCH", f"/api/v1/products/{quote(known)}", body=body)
                self.sent_bodies[pid] = digest
                return known
            except Problem as exc:
                if exc.status != 404:
                    raise
                del self.ids[product.external_id]
        created = await self.http.call("POST", "/api/v1/products", body=body)
        if not isinstance(created, dict) or created.get("id") is None:
            raise PayloadError("the created product has no id", system=self.system)
        self.ids[pid] = str(created["id"])
        self.sent_bodies[pid] = digest
        return str(created["id"])

    async def write_prices(self, products: Sequence[Product]) -> dict[str, str]:
        """Each priced variant onto the default list; refusals by our product id."""
        rows: list[dict[str, Any]] = []
        owner: list[str] = []
        for product in products:
            for v in product.variants:
                if v.sku and v.price is not None and self.sent_prices.get(v.sku) != v.price:
                    rows.append(
                        {"sku": v.sku, "pricing": [{"quantity": 1, "price": wire.number(v.price)}]}
                    )
                    owner.append(product.external_id)
        refused: dict[str, str] = {}
        for start in range(0, len(rows), PRICE_CHUNK):
            part = rows[start : start + PRICE_CHUNK]
            try:
                await self._send_prices(part)
            except Problem as exc:
                lines = exc.lines()
                for n in range(len(part)):
                    if not lines or n in lines:
                        refused[owner[start + n]] = lines.get(n, exc.message)
                continue
            for row in part:
                self.sent_prices[row["sku"]] = Decimal(str(row["pricing"][0]["price"]))
        return refused

    async def _send_prices(self, part: list[dict[str, Any]]) -> None:
        path = f"/api/v1/price-lists/{self.slug}/pricing"
        try:
            await self.http.call("PATCH", path, body=part)
        except Problem as exc:
            if exc.status != 404:
                raise
            # The list is gone (deleted in the Dashboard, or never made): make it, once.
            await self.ensure_price_list(self.price_list)
            await self.http.call("PATCH", f"/api/v1/price-lists/{self.slug}/pricing", body=part)

    async def read(self, external_ids: Sequence[str]) -> dict[str, Product]:
        for pid in external_ids:
            self.sent_bodies.pop(pid, None)
        raw = await self.lookup(external_ids)
        skus = [
            v["sku"]
            for item in raw.values()
            for v in item.get("variants") or []
            if isinstance(v, dict) and isinstance(v.get("sku"), str)
        ]
        for sku in skus:
            self.sent_prices.pop(sku, None)
        prices = await self.read_prices(skus)
        found: dict[str, Product] = {}
        for pid, item in raw.items():
            found[pid] = wire.parse_product(item, prices, self.system)[0]
        return found

    async def read_prices(self, skus: Sequence[str]) -> dict[str, Decimal]:
        """Quantity-1 prices of these SKUs on the default list [assumed ``skus`` filter]."""
        prices: dict[str, Decimal] = {}
        for part in chunks(list(skus), LOOKUP_CHUNK):
            try:
                body = await self.http.call(
                    "GET",
                    f"/api/v1/price-lists/{self.slug}/pricing",
                    params={"skus": ",".join(part)},
                )
            except Problem as exc:
                if exc.status == 404:  # no list yet: no prices
                    return prices
                raise
            for row in body if isinstance(body, list) else []:
                tiers = row.get("pricing") if isinstance(row, dict) else None
                for tier in tiers or []:
                    if isinstance(tier, dict) and tier.get("quantity") == 1:
                        amount = wire.money(tier.get("price"))
                        if amount is not None:
                            prices[str(row["sku"])] = amount
        return prices

    # -- stock ------------------------------------------------------------------------------

    async def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for part in chunks(list(levels), STOCK_CHUNK):
            errors = await self._stock_batch(part)
            for n, level in enumerate(part):
                key = f"{level.sku}|{level.location}"
                where = self.to_spark.get(level.location, level.location)
                results.append(
                    WriteResult(external_id=key, error=errors[n])
                    if n in errors
                    else WriteResult(external_id=key, remote_id=f"{level.sku}|{where}")
                )
        return results

    async def _stock_batch(self, part: Sequence[StockLevel]) -> dict[int, str]:
        rows = [
            {
                "sku": lv.sku,
                "stock_location_external_id": self.to_spark.get(lv.location, lv.location),
                "stock_level": lv.quantity,
            }
            for lv in part
        ]
        try:
            await self.http.call("POST", "/api/v1/batch-update-stock", body=rows)
            return {}
        except Problem as exc:
            lines = exc.lines()
            if not lines:
                return dict.fromkeys(range(len(part)), exc.message)
        rest = [n for n in range(len(part)) if n not in lines]
        if rest:  # the batch is refused whole: send the lines it did not name again, once
            try:
                await self.http.call(
                    "POST", "/api/v1/batch-update-stock", body=[rows[n] for n in rest]
                )
            except Problem as exc:
                lines.update(dict.fromkeys(rest, exc.message))
        return lines

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """``GET /api/v1/stock/{sku}``: one call per SKU (the API has no multi-SKU read)."""
        levels: list[StockLevel] = []
        for sku in skus:
            try:
                body = await self.http.call("GET", f"/api/v1/stock/{quote(sku, safe='')}")
            except Problem as exc:
                if exc.status == 404:
                    continue
                raise
            for row in body if isinstance(body, list) else []:
                if not isinstance(row, dict) or not isinstance(row.get("stock_level"), int):
                    raise PayloadError(f"a stock row for {sku} is malformed", system=self.system)
                where = str(row.get("stock_location_external_id"))
                levels.append(
                    StockLevel(
                        sku=sku,
                        location=self.from_spark.get(where, where),
                        quantity=row["stock_level"],
                    )
                )
        return levels
