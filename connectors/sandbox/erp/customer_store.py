"""The sandbox back office's customers: change pages, listings, look-ups, creates and edits.

Customers share the back office's SQLite connection and clock; every write is one transaction
and moves the customer's modified_at (to the second, like products).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from syncwright.connectors.sandbox.db import (
    Page,
    change_filter,
    json_page,
    search_filter,
    transaction,
)
from syncwright.connectors.sandbox.erp.schema import CUSTOMER
from syncwright.connectors.sandbox.refusals import Conflict, Invalid, NotFound
from syncwright.connectors.sandbox.timestamps import SkewedClock

Json = dict[str, Any]


class CustomerStore:
    def __init__(self, conn: sqlite3.Connection, clock: SkewedClock) -> None:
        self._conn = conn
        self._clock = clock

    def changed(self, since: str | None, after: tuple[str, int] | None, limit: int) -> Page:
        where, args = change_filter("modified_at", "id", since, after)
        rows = self._conn.execute(
            f"{CUSTOMER} WHERE {where} ORDER BY modified_at, id LIMIT ?", (*args, limit + 1)
        ).fetchall()
        return json_page(rows, limit, by_time=True)

    def listing(self, after_id: int, limit: int) -> Page:
        rows = self._conn.execute(
            f"{CUSTOMER} WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit + 1)
        ).fetchall()
        return json_page(rows, limit, by_time=False)

    def search(self, email: str | None, account_id: str | None) -> list[str]:
        """Every customer whose e-mail matches (ignoring case) or whose accounting id does."""
        where, args = search_filter(email, account_id, email_sql="email = ? COLLATE NOCASE")
        if where is None:
            return []
        rows = self._conn.execute(f"{CUSTOMER} WHERE {where} ORDER BY id", args).fetchall()
        return [row[2] for row in rows]

    def get(self, customer_id: int) -> str | None:
        row = self._conn.execute(f"{CUSTOMER} WHERE id = ?", (customer_id,)).fetchone()
        return None if row is None else str(row[2])

    def create(self, columns: Json) -> str:
        """Insert a customer (columns already checked); returns its JSON."""
        columns = {**columns, "modified_at": self._clock.token()}
        with transaction(self._conn) as conn:
            self._check_parent(columns.get("parent_id"), None)
            customer_id = self._write(
                conn,
                f"INSERT INTO customers ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                columns,
            )
        return self._existing(customer_id)

    def patch(self, customer_id: int, columns: Json, modified_at: str | None) -> str:
        columns = {**columns, "modified_at": modified_at or self._clock.token()}
        with transaction(self._conn) as conn:
            self._existing(customer_id)
            self._check_parent(columns.get("parent_id"), customer_id)
            self._write(
                conn,
                f"UPDATE customers SET {', '.join(f'{k} = ?' for k in columns)} WHERE id = ?",
                columns,
                customer_id,
            )
        return self._existing(customer_id)

    def _write(self, conn: sqlite3.Connection, sql: str, columns: Json, *extra: Any) -> int:
        try:
            cursor = conn.execute(sql, (*columns.values(), *extra))
        except sqlite3.IntegrityError as exc:
            account = columns.get("accounting_id")
            holder = conn.execute(
                "SELECT id FROM customers WHERE accounting_id = ?", (account,)
            ).fetchone()
            if holder is None:  # not the one unique key a customer has
                raise Conflict(f"the customer clashes with existing data: {exc}") from None
            raise Conflict(
                f"accounting id {account!r} already belongs to customer {holder[0]}",
                existing_id=holder[0],
            ) from None
        row_id = extra[0] if extra else cursor.lastrowid
        assert isinstance(row_id, int)
        return row_id

    def _check_parent(self, parent_id: int | None, child_id: int | None) -> None:
        if parent_id is None:
            return
        if parent_id == child_id:
            raise Invalid("a customer cannot be its own parent")
        if self.get(parent_id) is None:
            raise Invalid(f"unknown parent customer {parent_id}")

    def _existing(self, customer_id: int) -> str:
        customer = self.get(customer_id)
        if customer is None:
            raise NotFound(f"no customer with id {customer_id}")
        return customer
