"""Where our products and stock records are in Oscar, kept by the connector between calls.

django-oscar-api's admin listings cannot filter by UPC or SKU, so finding one product by
reading the whole catalogue costs calls in proportion to the catalogue. The index remembers
each Oscar product (by our UPC) and each stock record of our partner (by SKU) from every answer
Oscar gives: product creations and updates return the product with its stock records. A full
listing fills it when it is cold or when a lookup misses, at most once per ``relist_after``
seconds, so a miss for something that does not exist costs nothing until that time has passed.

The index holds addresses, not truth: reads and writes that depend on current values (prices,
``num_allocated``) fetch the one product or stock record they need fresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from syncwright.connectors.oscar.api import text


def is_ours(upc: object) -> bool:
    return isinstance(upc, str) and ":" in upc


class OscarIndex:
    def __init__(
        self, system: str, *, relist_after: float = 600.0, clock: Callable[[], float] | None = None
    ) -> None:
        self.system = system
        self.relist_after = relist_after
        self.clock = clock or time.monotonic
        self.by_upc: dict[str, dict[str, Any]] = {}  # our UPC -> Oscar product row
        self.records: dict[str, dict[str, Any]] = {}  # SKU -> our partner's stock record
        self.owner: dict[str, dict[str, Any]] = {}  # SKU -> the product row holding it
        self.record_of: dict[str, dict[str, Any]] = {}  # our UPC -> its stock record
        self.listed_at: float | None = None
        #: Full listings read so far (for tests and logs).
        self.listings = 0

    def may_relist(self) -> bool:
        return self.listed_at is None or self.clock() - self.listed_at >= self.relist_after

    def replace(self, rows: Iterable[dict[str, Any]], partner_url: str) -> None:
        """A fresh full listing: forget everything, learn every row."""
        self.by_upc.clear()
        self.records.clear()
        self.owner.clear()
        self.record_of.clear()
        for row in rows:
            self.learn(row, partner_url)
        self.listed_at = self.clock()
        self.listings += 1

    def learn(self, row: dict[str, Any], partner_url: str) -> None:
        """Remember one Oscar product row (from a listing, a GET, a POST or a PATCH)."""
        upc = row.get("upc")
        ours = is_ours(upc)
        if ours:
            self.by_upc[str(upc)] = row
        for record in row.get("stockrecords") or []:
            if isinstance(record, dict) and record.get("partner") == partner_url:
                sku = text(record, "partner_sku", f"stock record of {upc}", self.system)
                self.records[sku] = record
                self.owner[sku] = row
                if ours:
                    self.record_of[str(upc)] = record

    def learn_record(self, sku: str, record: dict[str, Any]) -> None:
        self.records[sku] = record
        row = self.owner.get(sku)
        upc = row.get("upc") if row else None
        if is_ours(upc):
            self.record_of[str(upc)] = record

    def forget(self, upc: str) -> None:
        """The product is gone from Oscar (a 404 on its address)."""
        self.by_upc.pop(upc, None)
        record = self.record_of.pop(upc, None)
        if record is not None:
            for sku in [s for s, r in self.records.items() if r is record]:
                self.records.pop(sku, None)
                self.owner.pop(sku, None)

    def upcs_of(self, product_id: str) -> list[str]:
        return [upc for upc in self.by_upc if upc.split(":", 1)[0] == product_id]
