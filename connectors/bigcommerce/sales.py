"""Orders (v2) and customers (v3) of a BigCommerce store, for either role.

Orders: ``GET /v2/orders`` by ``min_date_modified``/``max_date_modified``/``min_id`` with
``sort=date_modified:asc`` (keyset.py), an empty page answered 204; each order's lines are
``/v2/orders/{id}/products`` (one call per order: BigCommerce has no way to embed them) and its
shipments ``/v2/orders/{id}/shipments``, asked for only when the status says something shipped.
Statuses: 5 Cancelled, 6 Declined -> cancelled; 10 Completed -> closed; the rest open.
Customers: ``GET /v3/customers`` by ``email:in`` (look-up), ``date_modified:min`` (feed), and
``POST /v3/customers`` (an array); linked customers are never written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from syncwright.connectors.base import ChangeQuery, ListQuery, Page
from syncwright.connectors.bigcommerce import wire
from syncwright.connectors.bigcommerce.keyset import Keyset
from syncwright.connectors.bigcommerce.transport import MAX_PAGE, Transport
from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.model import Customer, Order, OrderLine, Shipment

ORDERS = "/v2/orders"
CUSTOMERS = "/v3/customers"
SHIPPED = {2, 3, 10}  # Shipped, Partially Shipped, Completed
CANCELLED = {5, 6}


class Sales:
    def __init__(self, t: Transport) -> None:
        self.t = t
        self.orders = Keyset[dict[str, Any]](self._order_rows, lambda r: r, _order_key, MAX_PAGE)
        self.customers = Keyset[Customer](
            self._customer_rows, lambda r: wire.customer(r, t.system), _customer_key, MAX_PAGE
        )

    # -- orders ---------------------------------------------------------------------------

    async def _order_rows(
        self, low: str | None, high: str | None, min_id: int | None, limit: int
    ) -> tuple[list[Any], bool]:
        params: dict[str, Any] = {"sort": "date_modified:asc", "limit": limit, "page": 1}
        if low:
            params["min_date_modified"] = wire.filter_time(low)
        if high:
            params["max_date_modified"] = wire.filter_time(high)
        if min_id is not None:
            params["min_id"] = min_id
        rows = await self.t.v2_list(ORDERS, params)
        return rows, len(rows) >= limit

    async def changed_orders(self, query: ChangeQuery) -> Page[Order]:
        page = await self.orders.page(query)
        return Page(
            [await self.full_order(r) for r in page.items],
            page.last_key,
            complete=page.complete,
            next_key=page.next_key,
        )

    async def list_orders(self, query: ListQuery) -> Page[Order]:
        limit = max(1, min(query.limit, MAX_PAGE))
        params: dict[str, Any] = {"sort": "id:asc", "limit": limit, "page": 1}
        if query.after:
            params["min_id"] = int(query.after) + 1
        rows = await self.t.v2_list(ORDERS, params)
        items = [await self.full_order(r) for r in rows]
        last = _order_key(rows[-1]) if rows else None
        return Page(items, last, complete=len(rows) < limit)

    async def get_order(self, external_id: str) -> Order | None:
        if not external_id.isdigit():
            return None
        try:
            row = await self.t.call("GET", f"{ORDERS}/{external_id}")
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(row, dict):
            raise PayloadError(f"order {external_id}: not an object", system=self.t.system)
        return await self.full_order(row)

    async def full_order(self, row: dict[str, Any]) -> Order:
        oid = row.get("id")
        if not isinstance(oid, int):
            raise PayloadError("an order without an id", system=self.t.system)
        lines = await self._all_v2(f"{ORDERS}/{oid}/products")
        shipments = (
            await self._all_v2(f"{ORDERS}/{oid}/shipments")
            if row.get("status_id") in SHIPPED
            else []
        )
        return _order(row, lines, shipments, self.t.system)

    async def _all_v2(self, path: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            rows = await self.t.v2_list(path, {"limit": MAX_PAGE, "page": page})
            out += rows
            if len(rows) < MAX_PAGE:
                return out
            page += 1

    # -- customers ------------------------------------------------------------------------

    async def _customer_rows(
        self, low: str | None, high: str | None, min_id: int | None, limit: int
    ) -> tuple[list[Any], bool]:
        params: dict[str, Any] = {
            "sort": "date_modified:asc",
            "limit": limit,
            "page": 1,
            "include": "addresses",
        }
        if low:
            params["date_modified:min"] = wire.filter_time(low)
        if high:
            params["date_modified:max"] = wire.filter_time(high)
        page = await self.t.v3_page(CUSTOMERS, params)
        rows = page.data
        if min_id is not None:  # no id:min on customers: the rest of one second, filtered here
            rows = [r for r in rows if isinstance(r.get("id"), int) and r["id"] >= min_id]
        return rows, page.more

    async def changed_customers(self, query: ChangeQuery) -> Page[Customer]:
        return await self.customers.page(query)

    async def list_customers(self, query: ListQuery) -> Page[Customer]:
        """Pages by number; ``after`` is "<page>:<per page>" of the page read last."""
        per, number = max(1, min(query.limit, MAX_PAGE)), 1
        if query.after:
            done, _, size = query.after.partition(":")
            if done.isdigit() and size.isdigit() and int(size) > 0:
                number, per = int(done) + 1, int(size)
        page = await self.t.v3_page(
            CUSTOMERS, {"page": number, "limit": per, "include": "addresses"}
        )
        items = [wire.customer(r, self.t.system) for r in page.data]
        key = ("", f"{number}:{per}")
        return Page(items, key if items else None, complete=not page.more, next_key=key)

    async def find(self, email: str) -> list[Customer]:
        page = await self.t.v3_page(CUSTOMERS, {"email:in": email, "include": "addresses"})
        found = [wire.customer(r, self.t.system) for r in page.data]
        return [c for c in found if (c.email or "").lower() == email.lower()]

    async def get(self, external_id: str) -> Customer | None:
        if not external_id.isdigit():
            return None
        page = await self.t.v3_page(CUSTOMERS, {"id:in": external_id, "include": "addresses"})
        return wire.customer(page.data[0], self.t.system) if page.data else None

    async def create(self, customer: Customer) -> str:
        if not customer.email:
            raise PermanentError("a BigCommerce customer needs an e-mail", system=self.t.system)
        rows = await self.t.v3_data("POST", CUSTOMERS, [wire.customer_body(customer)])
        if not isinstance(rows, list) or not rows or "id" not in rows[0]:
            raise PayloadError("customer create answered without an id", system=self.t.system)
        return str(rows[0]["id"])


def _order_key(row: dict[str, Any]) -> tuple[str, str]:
    return wire.iso(wire.parse_time(row.get("date_modified"))), str(row.get("id"))


def _customer_key(customer: Customer) -> tuple[str, str]:
    return wire.iso(customer.modified_at), customer.external_id


def _order(
    row: dict[str, Any],
    lines: Sequence[dict[str, Any]],
    shipments: Sequence[dict[str, Any]],
    system: str,
) -> Order:
    bill = row.get("billing_address") or {}
    status_id = row.get("status_id")
    status = "cancelled" if status_id in CANCELLED else "closed" if status_id == 10 else "open"
    customer_id = row.get("customer_id") or 0
    email = bill.get("email") or None
    sku_of = {line.get("id"): line.get("sku") for line in lines}
    return Order(
        external_id=str(row["id"]),
        number=str(row["id"]),
        customer=Customer(
            external_id=str(customer_id) if customer_id else f"guest:{email or row['id']}",
            email=email,
            first_name=str(bill.get("first_name") or ""),
            last_name=str(bill.get("last_name") or ""),
            company=str(bill.get("company") or ""),
        ),
        lines=tuple(
            OrderLine(
                sku=line.get("sku") or None,
                title=str(line.get("name") or ""),
                quantity=int(line.get("quantity") or 0),
                unit_price=wire.money(line.get("price_inc_tax")) or Decimal("0.00"),
                external_id=str(line.get("id")),
            )
            for line in lines
        ),
        currency=str(row.get("currency_code") or ""),
        total=wire.money(row.get("total_inc_tax")) or Decimal("0.00"),
        status=status,
        shipments=tuple(
            Shipment(
                external_id=str(s.get("id")),
                lines=tuple(
                    (str(sku_of.get(i.get("order_product_id")) or ""), int(i.get("quantity") or 0))
                    for i in s.get("items") or []
                ),
                carrier=str(s.get("shipping_provider") or s.get("tracking_carrier") or ""),
                tracking=str(s.get("tracking_number") or ""),
                shipped_at=wire.parse_time(s.get("date_created")),
            )
            for s in shipments
        ),
        created_at=wire.parse_time(row.get("date_created")),
        modified_at=wire.parse_time(row.get("date_modified")),
    )
