"""The sandbox shop's orders ("so_N") and their fulfillments ("sf_N").

An order keeps a snapshot of its customer as it was when placed, its lines priced from the
"Sandbox Price" list (or at an explicit unit price, for a SKU the shop does not list), and its
fulfillments. Placing, amending and fulfilling all move updated_at, which orders the change
pages by (updated_at, id).
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from typing import Any

from syncwright.connectors.sandbox.db import change_filter, chunked, cut, marks, transaction
from syncwright.connectors.sandbox.refusals import Conflict, Invalid, NotFound
from syncwright.connectors.sandbox.shop.customer_store import ShopCustomers, customer_id
from syncwright.connectors.sandbox.timestamps import SkewedClock

Json = dict[str, Any]
SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY, number TEXT NOT NULL, customer_id INTEGER NOT NULL,
    customer TEXT NOT NULL, lines TEXT NOT NULL, currency TEXT NOT NULL, total TEXT NOT NULL,
    status TEXT NOT NULL, b2b INTEGER NOT NULL, shipping_address TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_changes ON orders (updated_at, id);
CREATE TABLE IF NOT EXISTS fulfillments (
    id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, lines TEXT NOT NULL,
    carrier TEXT NOT NULL, tracking TEXT NOT NULL, shipped_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fulfillments_order ON fulfillments (order_id, id);
"""
ORDER = (
    "SELECT id, updated_at, number, customer_id, customer, lines, currency, total, status, b2b, "
    "shipping_address, created_at FROM orders"
)
CENT = Decimal("0.01")


def order_id(row_id: int) -> str:
    return f"so_{row_id}"


class ShopOrders:
    def __init__(
        self,
        conn: sqlite3.Connection,
        clock: SkewedClock,
        customers: ShopCustomers,
        price_list: str,
    ) -> None:
        self._conn = conn
        self._clock = clock
        self._customers = customers
        self._price_list = price_list

    # -- reads -----------------------------------------------------------------------------

    def changed(
        self, since: str | None, after: tuple[str, int] | None, limit: int
    ) -> tuple[list[Json], Json | None]:
        where, args = change_filter("updated_at", "id", since, after)
        rows = self._conn.execute(
            f"{ORDER} WHERE {where} ORDER BY updated_at, id LIMIT ?", (*args, limit + 1)
        ).fetchall()
        return self._page(rows, limit, by_time=True)

    def listing(self, after_id: int, limit: int) -> tuple[list[Json], Json | None]:
        rows = self._conn.execute(
            f"{ORDER} WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit + 1)
        ).fetchall()
        return self._page(rows, limit, by_time=False)

    def get(self, row_id: int) -> Json | None:
        rows = self._conn.execute(f"{ORDER} WHERE id = ?", (row_id,)).fetchall()
        return self._orders_json(rows)[0] if rows else None

    # -- writes ----------------------------------------------------------------------------

    def place(self, spec: Json, currency: str) -> Json:
        """Place one order: ``{customer | customer_id, lines, b2b?, shipping_address?}``."""
        with transaction(self._conn) as conn:
            row_id = self.insert(conn, spec, currency)
        return self.existing(row_id)

    def insert(self, conn: sqlite3.Connection, spec: Json, currency: str) -> int:
        """Place an order inside the caller's transaction; returns its row id."""
        buyer = self._buyer(conn, spec)
        snapshot = {k: v for k, v in buyer.items() if k not in ("created_at", "updated_at")}
        lines, total = self._priced(spec["lines"])
        now = self._clock.token()
        address = spec.get("shipping_address")
        if address is None and buyer["address"] is not None:
            address = json.dumps(buyer["address"], sort_keys=True)
        b2b = spec.get("b2b")
        cursor = conn.execute(
            "INSERT INTO orders (number, customer_id, customer, lines, currency, total, status, "
            "b2b, shipping_address, created_at, updated_at) VALUES ('',?,?,?,?,?,?,?,?,?,?)",
            (
                int(buyer["id"].removeprefix("sc_")),
                json.dumps(snapshot, sort_keys=True),
                json.dumps(lines),
                currency,
                str(total),
                spec.get("status", "open"),
                int(bool(buyer["company"]) if b2b is None else b2b),
                address,
                now,
                now,
            ),
        )
        row_id = cursor.lastrowid
        assert row_id is not None
        conn.execute("UPDATE orders SET number = ? WHERE id = ?", (f"#{1000 + row_id}", row_id))
        return row_id

    def amend(self, row_id: int, changes: Json) -> Json:
        """Replace the lines (re-priced), the status or the shipping address."""
        with transaction(self._conn) as conn:
            current = self.existing(row_id)
            if current["status"] == "cancelled":
                raise Conflict(f"order {order_id(row_id)} is cancelled")
            columns = {k: v for k, v in changes.items() if k != "lines"}
            if "lines" in changes:
                lines, total = self._priced(changes["lines"])
                columns.update(lines=json.dumps(lines), total=str(total))
            columns["updated_at"] = self._clock.token()
            conn.execute(
                f"UPDATE orders SET {', '.join(f'{k} = ?' for k in columns)} WHERE id = ?",
                (*columns.values(), row_id),
            )
        return self.existing(row_id)

    def fulfil(self, row_id: int, shipment: Json) -> Json:
        """Record a fulfillment of ``[[sku, quantity], ...]`` (SKUs must be on the order)."""
        with transaction(self._conn) as conn:
            current = self.existing(row_id)
            on_order = {line["sku"] for line in current["lines"]}
            stray = [sku for sku, _ in shipment["lines"] if sku not in on_order]
            if stray:
                raise Invalid(f"SKUs {stray} are not on order {order_id(row_id)}")
            now = self._clock.token()
            conn.execute(
                "INSERT INTO fulfillments (order_id, lines, carrier, tracking, shipped_at) "
                "VALUES (?,?,?,?,?)",
                (
                    row_id,
                    json.dumps(shipment["lines"]),
                    shipment["carrier"],
                    shipment["tracking"],
                    shipment.get("shipped_at") or now,
                ),
            )
            conn.execute("UPDATE orders SET updated_at = ? WHERE id = ?", (now, row_id))
        return self.existing(row_id)

    def existing(self, row_id: int) -> Json:
        order = self.get(row_id)
        if order is None:
            raise NotFound(f"no order {order_id(row_id)}")
        return order

    # -- helpers ---------------------------------------------------------------------------

    def _buyer(self, conn: sqlite3.Connection, spec: Json) -> Json:
        """The ordering customer: by id, by e-mail, or a new account from ``customer``."""
        if spec.get("customer_id") is not None:
            return self._customers.existing(spec["customer_id"])
        person = spec["customer"]
        known = self._customers.by_email(person["email"])
        if known is None:
            known = self._customers.insert(conn, person)
        return self._customers.existing(known)

    def _priced(self, lines: list[Json]) -> tuple[list[Json], Decimal]:
        skus = sorted({line["sku"] for line in lines if line["sku"]})
        catalogue: dict[str, tuple[str, str | None]] = {}
        for part in chunked(skus):
            for sku, title, price in self._conn.execute(
                "SELECT v.sku, p.title || ' - ' || v.title, pr.price FROM variants v "
                "JOIN products p ON p.id = v.product_id LEFT JOIN prices pr "
                f"ON pr.sku = v.sku AND pr.price_list = ? WHERE v.sku IN ({marks(len(part))})",
                (self._price_list, *part),
            ):
                catalogue[sku] = (title, price)
        priced, total = [], Decimal(0)
        for number, line in enumerate(lines, 1):
            title, listed = catalogue.get(line["sku"] or "", (None, None))
            price = line.get("unit_price") or listed
            if price is None:
                why = "has no price" if line["sku"] in catalogue else "is not in this shop"
                raise Invalid(f"SKU {line['sku']!r} in line {number} {why}: give a unit_price")
            priced.append(
                {
                    "sku": line["sku"],
                    "title": line.get("title") or title or line["sku"] or "",
                    "quantity": line["quantity"],
                    "unit_price": price,
                }
            )
            total += Decimal(price) * line["quantity"]
        return priced, total.quantize(CENT)

    def _page(self, rows: list[Any], limit: int, *, by_time: bool) -> tuple[list[Json], Any]:
        ids, after = cut(rows, limit, by_time=by_time, item=lambda row: row[0], public_id=order_id)
        orders = {order["id"]: order for order in self._orders_json(rows[: len(ids)])}
        return [orders[order_id(row_id)] for row_id in ids], after

    def _orders_json(self, rows: list[Any]) -> list[Json]:
        shipments: dict[int, list[Json]] = {}
        for part in chunked([row[0] for row in rows]):
            for ship_id, owner, lines, carrier, tracking, shipped_at in self._conn.execute(
                "SELECT id, order_id, lines, carrier, tracking, shipped_at FROM fulfillments "
                f"WHERE order_id IN ({marks(len(part))}) ORDER BY id",
                part,
            ):
                shipments.setdefault(owner, []).append(
                    {
                        "id": f"sf_{ship_id}",
                        "lines": json.loads(lines),
                        "carrier": carrier,
                        "tracking": tracking,
                        "shipped_at": shipped_at,
                    }
                )
        return [
            {
                "id": order_id(row[0]),
                "number": row[2],
                "customer_id": customer_id(row[3]),
                "customer": json.loads(row[4]),
                "lines": json.loads(row[5]),
                "currency": row[6],
                "total": row[7],
                "status": row[8],
                "b2b": bool(row[9]),
                "shipping_address": None if row[10] is None else json.loads(row[10]),
                "shipments": shipments.get(row[0], []),
                "created_at": row[11],
                "updated_at": row[1],
            }
            for row in rows
        ]
