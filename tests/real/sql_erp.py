"""A small ERP schema on the real PostgreSQL and MariaDB servers, the sql kind's settings for
it, and the back-office fixture that changes it behind the connector's back."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from syncwright.connectors.backoffice_testing import (
    BackOfficeFixture,
    SeededCustomers,
    SeededProduct,
)
from syncwright.connectors.base import SystemSpec
from syncwright.connectors.sql.settings import SqlSettings

_TYPES = {
    "postgresql": {
        "id": "SERIAL PRIMARY KEY",
        "text": "TEXT",
        "time": "TIMESTAMPTZ(6) NOT NULL DEFAULT now()",
        "now": "clock_timestamp()",
    },
    "mariadb": {
        "id": "INT AUTO_INCREMENT PRIMARY KEY",
        "text": "VARCHAR(190)",
        "time": "DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6)",
        "now": "UTC_TIMESTAMP(6)",
    },
}

SCHEMA = """
CREATE TABLE item (id {id}, title {text} NOT NULL, handle {text} NOT NULL,
  active BOOLEAN NOT NULL DEFAULT TRUE, updated_at {time});
CREATE TABLE item_variant (id {id}, item_id INT NOT NULL, sku {text} NOT NULL UNIQUE,
  title {text} NOT NULL DEFAULT '', price DECIMAL(12,2) NOT NULL, updated_at {time});
CREATE INDEX item_variant_item ON item_variant (item_id);
CREATE TABLE stock_level (sku {text} NOT NULL, warehouse {text} NOT NULL, qty INT NOT NULL,
  updated_at {time}, PRIMARY KEY (sku, warehouse));
CREATE TABLE customer (id {id}, email {text}, first_name {text}, last_name {text},
  company {text}, account_no {text}, updated_at {time});
CREATE TABLE sync_order (id {id}, channel_ref {text} NOT NULL UNIQUE, customer_id INT,
  number {text}, currency {text}, total DECIMAL(12,2), status {text});
CREATE TABLE sync_order_line (order_id INT NOT NULL, position INT NOT NULL, sku {text},
  title {text}, quantity INT NOT NULL, unit_price DECIMAL(12,2) NOT NULL)
"""

#: What the connector's user may do: read the ERP, write only the staging tables.
GRANTS = {
    "postgresql": [
        "GRANT SELECT ON item, item_variant, stock_level, customer TO syncwright",
        "GRANT SELECT, INSERT ON sync_order, sync_order_line, customer TO syncwright",
        "GRANT UPDATE ON sync_order TO syncwright",
        "GRANT DELETE ON sync_order_line TO syncwright",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO syncwright",
    ],
    "mariadb": [
        "GRANT SELECT ON erp.item TO syncwright",
        "GRANT SELECT ON erp.item_variant TO syncwright",
        "GRANT SELECT ON erp.stock_level TO syncwright",
        "GRANT SELECT, INSERT ON erp.customer TO syncwright",
        "GRANT SELECT, INSERT, UPDATE ON erp.sync_order TO syncwright",
        "GRANT SELECT, INSERT, DELETE ON erp.sync_order_line TO syncwright",
    ],
}

PRODUCTS = """SELECT i.id, i.title, i.handle,
  CASE WHEN i.active THEN 'live' ELSE 'discontinued' END AS status,
  GREATEST(i.updated_at, COALESCE((SELECT MAX(v.updated_at) FROM item_variant v
    WHERE v.item_id = i.id), i.updated_at)) AS changed
FROM item i"""
VARIANTS = "SELECT id, item_id AS product_id, sku, title, price FROM item_variant"
STOCK = """SELECT CONCAT(sku, '@', warehouse) AS id, sku, warehouse AS location,
  qty AS quantity, updated_at AS changed FROM stock_level"""
CUSTOMERS = """SELECT id, email, first_name, last_name, company, account_no AS accounting_id,
  updated_at AS changed FROM customer"""
ORDERS = {
    "insert": "INSERT INTO sync_order (channel_ref, customer_id, number, currency, total, status)"
    " VALUES (:channel_ref, :customer_id, :number, :currency, :total, :status) RETURNING id",
    "line": "INSERT INTO sync_order_line (order_id, position, sku, title, quantity, unit_price)"
    " VALUES (:order_id, :position, :sku, :title, :quantity, :unit_price)",
    "lookup": "SELECT id FROM sync_order WHERE channel_ref = :channel_ref",
    "amend": "UPDATE sync_order SET total = :total, status = :status WHERE id = :order_id",
    "clear_lines": "DELETE FROM sync_order_line WHERE order_id = :order_id",
}
CUSTOMER_CREATE = (
    "INSERT INTO customer (email, first_name, last_name, company, account_no)"
    " VALUES (:email, :first_name, :last_name, :company, :accounting_id) RETURNING id"
)


def settings_table(page_size: int = 50, settle: float = 0.0, **extra: Any) -> dict[str, Any]:
    return {
        "products": {"query": PRODUCTS},
        "variants": {"query": VARIANTS},
        "stock": {"query": STOCK, "key": "text"},
        "customers": {"query": CUSTOMERS},
        "orders": ORDERS,
        "customer_writes": {"create": CUSTOMER_CREATE},
        "page_size": page_size,
        "settle_seconds": settle,
        **extra,
    }


def spec(server: Any, **settings: Any) -> SystemSpec[SqlSettings]:
    return SystemSpec(
        name="erpdb",
        kind="sql",
        url=server.url,
        settings=SqlSettings.model_validate(settings_table(**settings)),
        secrets={"password": "sync-test-pw"},
    )


class Erp:
    """The ERP's own side: the admin connection that makes and changes rows."""

    def __init__(self, server: Any) -> None:
        self.kind = server.kind
        self.types = _TYPES[server.kind]
        self.engine: AsyncEngine = create_async_engine(server.admin_url)

    @property
    def now(self) -> str:
        return self.types["now"]

    async def run(self, *statements: str, **params: Any) -> None:
        async with self.engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement), params)

    async def many(self, statement: str, rows: Sequence[dict[str, Any]]) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(text(statement), list(rows))

    async def scalar(self, statement: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(text(statement), params)).scalar()

    async def create(self) -> None:
        for statement in SCHEMA.format(**self.types).split(";"):
            await self.run(statement)
        await self.run(*GRANTS[self.kind])

    async def aclose(self) -> None:
        await self.engine.dispose()

    async def seed(self, count: int, start: int = 0) -> list[SeededProduct]:
        made = []
        for n in range(start, start + count):
            ident = await self.insert_item(f"Contract product {n}", f"bo-{n}")
            skus = [f"BO-{n}-{size}" for size in ("S", "M")]
            prices = {s: Decimal(f"{10 + n % 50}.{v}5") for v, s in enumerate(skus)}
            stock = {s: n + v + 1 for v, s in enumerate(skus)}
            await self.many(
                "INSERT INTO item_variant (item_id, sku, price) VALUES (:i, :s, :p)",
                [{"i": ident, "s": s, "p": p} for s, p in prices.items()],
            )
            await self.many(
                "INSERT INTO stock_level (sku, warehouse, qty) VALUES (:s, 'central', :q)",
                [{"s": s, "q": q} for s, q in stock.items()],
            )
            made.append(SeededProduct(str(ident), prices, stock))
        return made

    async def insert_item(self, title: str, handle: str) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                text("INSERT INTO item (title, handle) VALUES (:t, :h) RETURNING id"),
                {"t": title, "h": handle},
            )
            return int(result.scalar_one())

    async def edit(self, product_id: str) -> None:
        await self.run(
            f"UPDATE item SET title = 'Edited', updated_at = {self.now} WHERE id = :i",
            i=int(product_id),
        )

    async def set_stock(self, sku: str, quantity: int) -> None:
        await self.run(
            f"UPDATE stock_level SET qty = :q, updated_at = {self.now} WHERE sku = :s",
            q=quantity,
            s=sku,
        )

    async def remove(self, product_id: str) -> None:
        await self.run(
            f"UPDATE item SET active = FALSE, updated_at = {self.now} WHERE id = :i",
            i=int(product_id),
        )

    async def customers(self) -> SeededCustomers:
        rows = [
            ("Ann@Example.com", "Ann", None),
            ("ann@example.com", "Anna", None),
            ("b2b@example.com", "Bob", "ACC-7"),
        ]
        ids = []
        for email, first, account in rows:
            async with self.engine.begin() as conn:
                result = await conn.execute(
                    text(
                        "INSERT INTO customer (email, first_name, last_name, company, account_no)"
                        " VALUES (:e, :f, 'Test', '', :a) RETURNING id"
                    ),
                    {"e": email, "f": first, "a": account},
                )
                ids.append(str(result.scalar_one()))
        return SeededCustomers("ann@example.com", (ids[0], ids[1]), "ACC-7", ids[2])

    def fixture(self, page_size: int) -> BackOfficeFixture:
        return BackOfficeFixture(
            location="central",
            seed_products=self.seed,
            page_size=page_size,
            edit_product=self.edit,
            edit_stock=self.set_stock,
            remove_product=self.remove,
            seed_customers=self.customers,
            channel_shipments=False,
        )
