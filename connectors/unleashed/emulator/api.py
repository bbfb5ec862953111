"""The emulated Unleashed resources: listings with their filters and envelope, and writes.

Each handler takes the query parameters (a dict of str) and path values and returns
``(status, body)``; app.py does auth, the quota, faults and JSON. Filters follow Unleashed's
documented names; anything else in the query is ignored, as Unleashed does.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from syncwright.connectors.unleashed.emulator.store import Refused, Row, Store, by_modified

Answer = tuple[int, Any]
MAX_PAGE = 1000
DEFAULT_PAGE = 200


class BadRequest(Exception):
    pass


def parse_since(value: str) -> datetime:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SS`` (UTC), the forms Unleashed's filters take."""
    for form in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, form).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise BadRequest(f"The date '{value}' is not in the format yyyy-MM-dd or yyyy-MM-ddTHH:mm:ss")


def _flag(value: str | None) -> bool:
    return (value or "").lower() == "true"


def _unordered(rows: Iterable[Row]) -> list[Row]:
    """No orderBy: an order that is stable but not by time or id (any order is allowed)."""

    def scramble(row: Row) -> str:
        key = str(row.get("Guid") or row.get("ProductGuid")) + str(row.get("WarehouseCode", ""))
        return hashlib.sha256(key.encode()).hexdigest()

    return sorted(rows, key=scramble)


def _order(
    rows: list[Row], order_by: str | None, default: Callable[[list[Row]], list[Row]]
) -> list[Row]:
    if order_by is None:
        return default(rows)
    if order_by == "LastModifiedOn":
        return by_modified(rows)
    if order_by == "CreatedOn":
        return sorted(
            rows, key=lambda r: (r.get("CreatedOn") or r["LastModifiedOn"], r.get("Guid", ""))
        )
    if order_by in ("ProductCode", "CustomerCode", "OrderNumber"):
        return sorted(rows, key=lambda r: str(r.get(order_by, "")))
    raise BadRequest(f"orderBy '{order_by}' is not supported")


def envelope(rows: list[Row], page: int, params: dict[str, str]) -> Answer:
    try:
        size = int(params.get("pageSize", DEFAULT_PAGE))
    except ValueError:
        raise BadRequest("pageSize must be a number") from None
    if not 1 <= size <= MAX_PAGE:
        raise BadRequest(f"pageSize must be between 1 and {MAX_PAGE}")
    if page < 1:
        raise BadRequest("page number must be 1 or more")
    pages = max(1, math.ceil(len(rows) / size))
    items = rows[(page - 1) * size : page * size]
    return 200, {
        "Pagination": {
            "NumberOfItems": len(rows),
            "PageSize": size,
            "PageNumber": page,
            "NumberOfPages": pages,
        },
        "Items": items,
    }


def _since(rows: Iterable[Row], params: dict[str, str]) -> list[Row]:
    value = params.get("modifiedSince")
    if value is None:
        return list(rows)
    bound = parse_since(value)
    return [r for r in rows if r["LastModifiedOn"] >= bound]


class Api:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- products ---------------------------------------------------------------------------

    def products(self, params: dict[str, str], page: int) -> Answer:
        rows = list(self.store.products.values())
        if not _flag(params.get("includeObsolete")):
            rows = [r for r in rows if not r.get("Obsolete")]
        if "productCode" in params:
            rows = [r for r in rows if r["ProductCode"].startswith(params["productCode"])]
        if "productId" in params:
            wanted = {p.strip().lower() for p in params["productId"].split(",")}
            rows = [r for r in rows if r["Guid"] in wanted]
        rows = _since(rows, params)
        ordered = _order(rows, params.get("orderBy"), lambda rs: _order(rs, "ProductCode", list))
        return envelope(ordered, page, params)

    def product(self, guid: str) -> Answer:
        row = self.store.products.get(guid.lower())
        return (200, row) if row else (404, {"Description": f"Product {guid} not found"})

    def save_product(self, guid: str, body: Row) -> Answer:
        return 200, self.store.upsert_product(guid, body)

    def obsolete_product(self, guid: str) -> Answer:
        if guid.lower() not in self.store.products:
            return 404, {"Description": f"Product {guid} not found"}
        return 200, self.store.obsolete_product(guid)

    # -- warehouses, stock ------------------------------------------------------------------

    def warehouses(self, params: dict[str, str], page: int) -> Answer:
        rows = list(self.store.warehouses.values())
        if not _flag(params.get("includeObsolete")):
            rows = [r for r in rows if not r.get("Obsolete")]
        rows = _since(rows, params)
        return envelope(_order(rows, params.get("orderBy"), _unordered), page, params)

    def stock(self, params: dict[str, str], page: int) -> Answer:
        rows = list(self.store.stock.values())
        if "warehouseCode" in params:
            rows = [r for r in rows if r["WarehouseCode"] == params["warehouseCode"]]
        if "productId" in params:
            wanted = {p.strip().lower() for p in params["productId"].split(",")}
            rows = [r for r in rows if r["ProductGuid"] in wanted]
        rows = _since(rows, params)
        return envelope(_order(rows, params.get("orderBy"), _unordered), page, params)

    def stock_all_warehouses(self, guid: str) -> Answer:
        rows = [r for (g, _), r in self.store.stock.items() if g == guid.lower()]
        return 200, {"Items": sorted(rows, key=lambda r: r["WarehouseCode"])}

    # -- customers --------------------------------------------------------------------------

    def customers(self, params: dict[str, str], page: int) -> Answer:
        rows = list(self.store.customers.values())
        if not _flag(params.get("includeObsolete")):
            rows = [r for r in rows if not r.get("Obsolete")]
        if "customerCode" in params:
            rows = [r for r in rows if r["CustomerCode"].startswith(params["customerCode"])]
        if "customerName" in params:
            rows = [
                r for r in rows if str(r.get("CustomerName", "")).startswith(params["customerName"])
            ]
        rows = _since(rows, params)
        return envelope(_order(rows, params.get("orderBy"), _unordered), page, params)

    def customer(self, guid: str) -> Answer:
        row = self.store.customers.get(guid.lower())
        return (200, row) if row else (404, {"Description": f"Customer {guid} not found"})

    def save_customer(self, guid: str, body: Row) -> Answer:
        return 200, self.store.upsert_customer(guid, body)

    # -- sales orders -----------------------------------------------------------------------

    def orders(self, params: dict[str, str], page: int) -> Answer:
        rows = list(self.store.orders.values())
        # sourceId and orderNumber each override every other filter.
        if "sourceId" in params:
            rows = [r for r in rows if r.get("SourceId") == params["sourceId"]]
            return envelope(rows, page, {"pageSize": params.get("pageSize", "200")})
        if "orderNumber" in params:
            rows = [r for r in rows if r.get("OrderNumber") == params["orderNumber"]]
            return envelope(rows, page, {"pageSize": params.get("pageSize", "200")})
        statuses = params.get("orderStatus")
        if statuses:
            wanted = {s.strip() for s in statuses.split(",")}
            rows = [r for r in rows if r["OrderStatus"] in wanted]
        else:
            rows = [r for r in rows if r["OrderStatus"] != "Deleted"]
        if "customerCode" in params:
            rows = [r for r in rows if r["Customer"]["CustomerCode"] == params["customerCode"]]
        rows = _since(rows, params)
        return envelope(_order(rows, params.get("orderBy"), _unordered), page, params)

    def order(self, guid: str) -> Answer:
        row = self.store.orders.get(guid.lower())
        return (200, row) if row else (404, {"Description": f"Sales order {guid} not found"})

    def save_order(self, guid: str, body: Row, *, create: bool) -> Answer:
        try:
            return 200, self.store.upsert_order(guid, body, create=create)
        except KeyError:
            return 404, {"Description": f"Sales order {guid} not found"}

    def complete_order(self, guid: str) -> Answer:
        if guid.lower() not in self.store.orders:
            return 404, {"Description": f"Sales order {guid} not found"}
        return 200, self.store.complete_order(guid)

    def companies(self) -> Answer:
        return 200, {"Items": [self.store.company]}


__all__ = ["Api", "BadRequest", "Refused", "parse_since"]
