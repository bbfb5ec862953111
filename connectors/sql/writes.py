"""The writing half of the ``sql`` kind, and the factory that puts the halves together.

Orders go into the ERP's staging tables (or whatever the configured statements write) in one
transaction each: the header, then its lines. The header's insert meets a unique constraint
on the channel's order reference, so a post repeated after a crash or a lost answer fails
inside the database, is rolled back whole, and is answered with AlreadyPosted and the id of
the order that is there. Nothing here decides that from our own bookkeeping.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from syncwright.connectors.base import (
    AlreadyPosted,
    CallGate,
    ChangeQuery,
    ListQuery,
    Page,
    SystemSpec,
)
from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.model import Customer, Order, Product, Shipment
from syncwright.connectors.sql.database import wrap
from syncwright.connectors.sql.settings import OrderStatements, Query, SqlSettings
from syncwright.connectors.sql.source import SqlSource


async def insert_id(conn: AsyncConnection, statement: str, params: dict[str, Any]) -> Any:
    """Run an insert; its id from ``RETURNING`` or else from the driver's last row id."""
    result = await conn.execute(text(statement), params)
    ident = result.scalar() if result.returns_rows else result.lastrowid
    if ident in (None, "", 0):
        raise PayloadError("the insert returned no id (add RETURNING id)")
    return ident


class CustomerFeed(SqlSource):
    def _customers(self) -> Query:
        assert self.settings.customers is not None
        return self.settings.customers

    async def changed_customers(self, query: ChangeQuery) -> Page[Customer]:
        async with self.db.connect() as conn:
            rows, complete = await self.change_rows(conn, self._customers(), query)
        return self.page([self.customer(r) for r in rows], rows, complete)

    async def list_customers(self, query: ListQuery) -> Page[Customer]:
        async with self.db.connect() as conn:
            rows, complete = await self.list_rows(conn, self._customers(), query)
        return self.page([self.customer(r) for r in rows], rows, complete)

    async def get_customer(self, external_id: str) -> Customer | None:
        query = self._customers()
        key = self.db.key(query, external_id)
        async with self.db.connect() as conn:
            rows = await self.db.rows(
                conn, wrap(query, ["q.id = :key"], "q.id", limit=False), key=key
            )
        return self.customer(rows[0]) if rows else None


class CustomerBook(CustomerFeed):
    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        """Exact matches: the e-mail ignoring case, or the account id."""
        asks: list[str] = []
        params: dict[str, Any] = {}
        if email:
            asks.append("LOWER(q.email) = :email")
            params["email"] = email.lower()
        if account_id:
            asks.append("q.accounting_id = :account")
            params["account"] = account_id
        if not asks:
            return []
        statement = wrap(
            self._customers(), [" OR ".join(f"({a})" for a in asks)], "q.id", limit=False
        )
        async with self.db.connect() as conn:
            rows = await self.db.rows(conn, statement, **params)
        return [self.customer(r) for r in rows]

    async def create_customer(self, customer: Customer) -> str:
        writes = self.settings.customer_writes
        assert writes is not None
        params = {
            "email": customer.email,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "company": customer.company,
            "accounting_id": customer.accounting_id,
        }
        async with self.db.connect(write=True) as conn:
            return str(await insert_id(conn, writes.create, params))


class OrderBook(CustomerBook):
    def _orders(self) -> OrderStatements:
        assert self.settings.orders is not None
        return self.settings.orders

    async def find_order(self, channel_ref: str) -> str | None:
        async with self.db.connect() as conn:
            found = (
                await conn.execute(text(self._orders().lookup), {"channel_ref": channel_ref})
            ).scalar()
        return None if found is None else str(found)

    def header(self, order: Order, customer_id: str, channel_ref: str) -> dict[str, Any]:
        return {
            "channel_ref": channel_ref,
            "customer_id": self.db.key(self._customers(), customer_id) if customer_id else None,
            "number": order.number or order.external_id,
            "email": order.customer.email,
            "currency": order.currency,
            "total": order.total,
            "status": order.status,
        }

    async def insert_lines(self, conn: AsyncConnection, order_id: Any, order: Order) -> None:
        lines = [
            {
                "order_id": order_id,
                "position": n,
                "sku": line.sku,
                "title": line.title,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
            }
            for n, line in enumerate(order.lines, start=1)
        ]
        if lines:
            await conn.execute(text(self._orders().line), lines)

    async def create_order(self, order: Order, *, customer_id: str, channel_ref: str) -> str:
        orders = self._orders()
        try:
            async with self.db.connect(write=True) as conn:
                order_id = await insert_id(
                    conn, orders.insert, self.header(order, customer_id, channel_ref)
                )
                await self.insert_lines(conn, order_id, order)
        except IntegrityError:
            # Rolled back whole. The unique reference is the likely cause: look it up.
            existing = await self.find_order(channel_ref)
            if existing is None:
                raise PermanentError(
                    f"order {channel_ref} was refused by a constraint of the database",
                    system=self.name,
                ) from None
            raise AlreadyPosted(channel_ref, existing) from None
        return str(order_id)

    async def amend_order(self, order_id: str, order: Order) -> None:
        orders = self._orders()
        if orders.amend is None or orders.clear_lines is None:
            raise PermanentError("no amend and clear_lines statements configured", system=self.name)
        key = self.db.key(orders, order_id)
        params = {**self.header(order, "", ""), "order_id": key}
        params.pop("channel_ref"), params.pop("customer_id")
        async with self.db.connect(write=True) as conn:
            await conn.execute(text(orders.amend), params)
            await conn.execute(text(orders.clear_lines), {"order_id": key})
            await self.insert_lines(conn, key, order)

    async def add_shipment(self, order_id: str, shipment: Shipment) -> None:
        statement = self._orders().shipment
        if statement is None:
            raise PermanentError("no shipment statement configured", system=self.name)
        rows = [
            {
                "order_id": self.db.key(self._orders(), order_id),
                "shipment_id": shipment.external_id,
                "sku": sku,
                "quantity": quantity,
                "carrier": shipment.carrier,
                "tracking": shipment.tracking,
            }
            for sku, quantity in shipment.lines
        ]
        async with self.db.connect(write=True) as conn:
            if rows:
                await conn.execute(text(statement), rows)

    async def create_product(self, product: Product) -> str:
        """Products are the ERP's own: the sql kind reads them and never makes one."""
        raise PermanentError(
            f"the sql kind does not create products in the ERP ({product.external_id})",
            system=self.name,
        )


@cache
def connector_class(parts: frozenset[str]) -> type[SqlSource]:
    """The connector class with the protocols the settings describe, and only those."""
    for name, cls in (
        ("orders", OrderBook),
        ("customer_book", CustomerBook),
        ("customers", CustomerFeed),
    ):
        if name in parts:
            return cls
    return SqlSource


def parts_of(settings: SqlSettings) -> frozenset[str]:
    parts = set()
    if settings.customers is not None:
        parts.add("customers")
        if settings.customer_writes is not None:
            parts.add("customer_book")
            if settings.orders is not None:
                parts.add("orders")
    return frozenset(parts)


def build(spec: SystemSpec[SqlSettings], gate: CallGate, **client: Any) -> SqlSource:
    """The factory of the ``sql`` kind (connectors/registry.py)."""
    return connector_class(parts_of(spec.settings))(spec, gate)
