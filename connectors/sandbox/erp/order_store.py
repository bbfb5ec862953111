"""The sandbox back office's sale orders: posted once per channel reference, then amended and
shipped.

The UNIQUE channel_ref column, not a look-up before the insert, is what refuses a second post
of one order: two posts racing each other still leave one order (DESIGN.md rule 4).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from syncwright.connectors.sandbox.db import Page, chunked, json_page, marks, transaction
from syncwright.connectors.sandbox.erp.schema import ORDER
from syncwright.connectors.sandbox.refusals import Conflict, Invalid, NotFound
from syncwright.connectors.sandbox.timestamps import SkewedClock

Json = dict[str, Any]


class OrderStore:
    def __init__(self, conn: sqlite3.Connection, clock: SkewedClock) -> None:
        self._conn = conn
        self._clock = clock

    def listing(self, after_id: int, limit: int) -> Page:
        rows = self._conn.execute(
            f"{ORDER} WHERE o.id > ? ORDER BY o.id LIMIT ?", (after_id, limit + 1)
        ).fetchall()
        return json_page(rows, limit, by_time=False)

    def get(self, order_id: int) -> str | None:
        row = self._conn.execute(f"{ORDER} WHERE o.id = ?", (order_id,)).fetchone()
        return None if row is None else str(row[2])

    def by_ref(self, channel_ref: str) -> str | None:
        row = self._conn.execute(f"{ORDER} WHERE o.channel_ref = ?", (channel_ref,)).fetchone()
        return None if row is None else str(row[2])

    def create(self, order: Json) -> str:
        """Insert an order (fields checked for shape); refuses a known channel reference."""
        now = self._clock.token()
        with transaction(self._conn) as conn:
            try:
                cursor = conn.execute(
                    "INSERT INTO sale_orders (channel_ref, customer_id, currency, total, b2b, "
                    "status, shipping_address, created_at, modified_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        order["channel_ref"],
                        order["customer_id"],
                        order["currency"],
                        order["total"],
                        int(order["b2b"]),
                        order["status"],
                        order["shipping_address"],
                        now,
                        now,
                    ),
                )
            except sqlite3.IntegrityError:
                raise self._posted(order["channel_ref"]) from None
            order_id = cursor.lastrowid
            assert order_id is not None
            known = conn.execute(
                "SELECT 1 FROM customers WHERE id = ?", (order["customer_id"],)
            ).fetchone()
            if known is None:
                raise Invalid(f"unknown customer {order['customer_id']}")
            self._write_lines(order_id, order["lines"])
        return self._existing(order_id)

    def amend(self, order_id: int, changes: Json) -> str:
        """Change lines, total, status, currency or shipping address; not once closed."""
        with transaction(self._conn) as conn:
            status = self._status(order_id)
            if status == "closed":
                raise Conflict(f"order {order_id} is closed and can no longer be amended")
            lines = changes.pop("lines", None)
            columns = {**changes, "modified_at": self._clock.token()}
            conn.execute(
                f"UPDATE sale_orders SET {', '.join(f'{k} = ?' for k in columns)} WHERE id = ?",
                (*columns.values(), order_id),
            )
            if lines is not None:
                conn.execute("DELETE FROM order_lines WHERE order_id = ?", (order_id,))
                self._write_lines(order_id, lines)
        return self._existing(order_id)

    def add_shipment(self, order_id: int, shipment: Json) -> tuple[str, bool]:
        """Record a shipment once per external id; returns the order and whether it is new."""
        with transaction(self._conn) as conn:
            self._status(order_id)
            added = conn.execute(
                "INSERT OR IGNORE INTO shipments (order_id, external_id, lines, carrier, "
                "tracking, shipped_at) VALUES (?,?,?,?,?,?)",
                (
                    order_id,
                    shipment["external_id"],
                    json.dumps(shipment["lines"]),
                    shipment["carrier"],
                    shipment["tracking"],
                    shipment["shipped_at"],
                ),
            ).rowcount
            if added:
                conn.execute(
                    "UPDATE sale_orders SET modified_at = ? WHERE id = ?",
                    (self._clock.token(), order_id),
                )
        return self._existing(order_id), bool(added)

    def _write_lines(self, order_id: int, lines: list[Json]) -> None:
        skus = sorted({line["sku"] for line in lines if line["sku"] is not None})
        known: set[str] = set()
        for part in chunked(skus):
            known.update(
                row[0]
                for row in self._conn.execute(
                    f"SELECT sku FROM variants WHERE sku IN ({marks(len(part))})", part
                )
            )
        unknown = [
            f"unknown SKU {line['sku']!r} in line {number}"
            for number, line in enumerate(lines, 1)
            if line["sku"] is not None and line["sku"] not in known
        ]
        if unknown:
            raise Invalid("; ".join(unknown))
        self._conn.executemany(
            "INSERT INTO order_lines VALUES (?,?,?,?,?,?)",
            [
                (order_id, number, line["sku"], line["title"], line["quantity"], line["unit_price"])
                for number, line in enumerate(lines, 1)
            ],
        )

    def _posted(self, channel_ref: str) -> Conflict:
        row = self._conn.execute(
            "SELECT id FROM sale_orders WHERE channel_ref = ?", (channel_ref,)
        ).fetchone()
        return Conflict(
            f"an order with channel reference {channel_ref!r} exists: {row[0]}",
            existing_id=row[0],
        )

    def _status(self, order_id: int) -> str:
        row = self._conn.execute(
            "SELECT status FROM sale_orders WHERE id = ?", (order_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no order with id {order_id}")
        return str(row[0])

    def _existing(self, order_id: int) -> str:
        order = self.get(order_id)
        if order is None:
            raise NotFound(f"no order with id {order_id}")
        return order
