"""The sandbox shop's customer accounts ("sc_N"): one account per e-mail, ignoring case.

The e-mail column is UNIQUE COLLATE NOCASE, as web shops allow one account per address; a
second create with the same address is refused with the holder's id. The daemon only finds
and creates customers here; edits come from the shop's own admin (PATCH /admin/customers).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from syncwright.connectors.sandbox.db import change_filter, cut, search_filter, transaction
from syncwright.connectors.sandbox.refusals import Conflict, Invalid, NotFound
from syncwright.connectors.sandbox.timestamps import SkewedClock

Json = dict[str, Any]
SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE UNIQUE, first_name TEXT NOT NULL,
    last_name TEXT NOT NULL, company TEXT, group_name TEXT, accounting_id TEXT,
    price_lists TEXT NOT NULL DEFAULT '[]', discount_percent TEXT,
    pays_on_account INTEGER NOT NULL DEFAULT 0, parent_id TEXT, address TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS customers_changes ON customers (updated_at, id);
CREATE INDEX IF NOT EXISTS customers_account ON customers (accounting_id);
"""
CUSTOMER = (
    "SELECT id, updated_at, email, first_name, last_name, company, group_name, accounting_id, "
    "price_lists, discount_percent, pays_on_account, parent_id, address, created_at "
    "FROM customers"
)


def customer_id(row_id: int) -> str:
    return f"sc_{row_id}"


class ShopCustomers:
    def __init__(self, conn: sqlite3.Connection, clock: SkewedClock) -> None:
        self._conn = conn
        self._clock = clock

    def changed(
        self, since: str | None, after: tuple[str, int] | None, limit: int
    ) -> tuple[list[Json], Json | None]:
        where, args = change_filter("updated_at", "id", since, after)
        rows = self._conn.execute(
            f"{CUSTOMER} WHERE {where} ORDER BY updated_at, id LIMIT ?", (*args, limit + 1)
        ).fetchall()
        return cut(rows, limit, by_time=True, item=_customer_json, public_id=customer_id)

    def search(self, email: str | None, account_id: str | None) -> list[Json]:
        # Plain "email = ?": the e-mail column's NOCASE collation applies.
        where, args = search_filter(email, account_id)
        if where is None:
            return []
        rows = self._conn.execute(f"{CUSTOMER} WHERE {where} ORDER BY id", args).fetchall()
        return [_customer_json(row) for row in rows]

    def get(self, row_id: int) -> Json | None:
        row = self._conn.execute(f"{CUSTOMER} WHERE id = ?", (row_id,)).fetchone()
        return None if row is None else _customer_json(row)

    def create(self, columns: Json) -> Json:
        with transaction(self._conn) as conn:
            row_id = self.insert(conn, columns)
        return self.existing(row_id)

    def patch(self, row_id: int, columns: Json, updated_at: str | None) -> Json:
        columns = {**columns, "updated_at": updated_at or self._clock.token()}
        with transaction(self._conn) as conn:
            self.existing(row_id)
            self._check_parent(columns.get("parent_id"), row_id)
            try:
                conn.execute(
                    f"UPDATE customers SET {', '.join(f'{k} = ?' for k in columns)} WHERE id = ?",
                    (*columns.values(), row_id),
                )
            except sqlite3.IntegrityError:
                raise self._taken(columns["email"]) from None
        return self.existing(row_id)

    def insert(self, conn: sqlite3.Connection, columns: Json) -> int:
        """Insert inside the caller's transaction; refuses an e-mail another account holds."""
        now = self._clock.token()
        columns = {**columns, "created_at": now, "updated_at": now}
        self._check_parent(columns.get("parent_id"), None)
        try:
            cursor = conn.execute(
                f"INSERT INTO customers ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                tuple(columns.values()),
            )
        except sqlite3.IntegrityError:
            raise self._taken(columns["email"]) from None
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def by_email(self, email: str) -> int | None:
        row = self._conn.execute("SELECT id FROM customers WHERE email = ?", (email,)).fetchone()
        return None if row is None else int(row[0])

    def existing(self, row_id: int) -> Json:
        customer = self.get(row_id)
        if customer is None:
            raise NotFound(f"no customer {customer_id(row_id)}")
        return customer

    def _check_parent(self, parent: str | None, child: int | None) -> None:
        if parent is None:
            return
        digits = parent.removeprefix("sc_")
        if not digits.isdigit() or self.get(int(digits)) is None:
            raise Invalid(f"unknown parent customer {parent!r}")
        if int(digits) == child:
            raise Invalid("a customer cannot be its own parent")

    def _taken(self, email: str) -> Conflict:
        holder = self.by_email(email)
        return Conflict(
            f"e-mail {email!r} is already taken by customer {customer_id(holder or 0)}",
            existing_id=None if holder is None else customer_id(holder),
        )


def _customer_json(row: Any) -> Json:
    return {
        "id": customer_id(row[0]),
        "email": row[2],
        "first_name": row[3],
        "last_name": row[4],
        "company": row[5],
        "group": row[6],
        "accounting_id": row[7],
        "price_lists": json.loads(row[8]),
        "discount_percent": row[9],
        "pays_on_account": bool(row[10]),
        "parent_id": row[11],
        "address": None if row[12] is None else json.loads(row[12]),
        "created_at": row[13],
        "updated_at": row[1],
    }
