"""The reading half of the ``sql`` kind: products, stock and customers by keyset paging.

A change page asks for rows with ``changed`` >= ``since`` and (changed, id) after the last
key, ordered by (changed, id), no newer than the database clock less ``settle_seconds``: a
row stamped while a page was read, or by a transaction that commits late, is left for a
later pass rather than skipped for ever.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from syncwright.connectors.base import (
    CallGate,
    Capabilities,
    ChangeQuery,
    ListQuery,
    Page,
    SystemSpec,
)
from syncwright.connectors.model import Customer, Product, StockLevel, Variant
from syncwright.connectors.sql.database import Database, Row, expanding, wrap
from syncwright.connectors.sql.settings import Query, SqlSettings

#: SKUs or ids per ``IN`` list.
CHUNK = 500


def _text(row: Row, name: str, default: str = "") -> str:
    value = row.get(name)
    return default if value is None else str(value)


class SqlSource:
    """An ERP database read through configured queries: the source role."""

    kind = "sql"

    def __init__(self, spec: SystemSpec[SqlSettings], gate: CallGate) -> None:
        self.name = spec.name
        self.settings = spec.settings
        self.db = Database(spec, gate)
        self.capabilities = Capabilities(
            cursor=spec.settings.cursor,
            max_page_size=spec.settings.page_size,
            price_list_name=spec.settings.price_list,
        )

    async def aclose(self) -> None:
        await self.db.aclose()

    # -- paging ------------------------------------------------------------------------------

    async def change_rows(
        self, conn: AsyncConnection, query: Query, change: ChangeQuery
    ) -> tuple[list[Row], bool]:
        where: list[str] = []
        params: dict[str, Any] = {"limit": min(change.limit, self.settings.page_size)}
        if self.settings.cursor == "time":
            where.append("q.changed <= :until")
            params["until"] = self.db.at(await self.db.until(conn))
        if change.since is not None:
            where.append("q.changed >= :since")
            params["since"] = self.db.bound(change.since)
        if change.after is not None:
            where.append("q.changed > :at OR (q.changed = :at AND q.id > :key)")
            params["at"] = self.db.bound(change.after[0])
            params["key"] = self.db.key(query, change.after[1])
        rows = await self.db.rows(conn, wrap(query, where, "q.changed, q.id"), **params)
        return rows, len(rows) < params["limit"]

    async def list_rows(
        self, conn: AsyncConnection, query: Query, listing: ListQuery
    ) -> tuple[list[Row], bool]:
        params: dict[str, Any] = {"limit": min(listing.limit, self.settings.page_size)}
        where = []
        if listing.after is not None:
            where.append("q.id > :key")
            params["key"] = self.db.key(query, listing.after)
        rows = await self.db.rows(conn, wrap(query, where, "q.id"), **params)
        return rows, len(rows) < params["limit"]

    def page(self, items: Sequence[Any], rows: list[Row], complete: bool) -> Page[Any]:
        last = None
        if rows:
            changed = rows[-1].get("changed")
            last = ("" if changed is None else self.db.token(changed), str(rows[-1]["id"]))
        return Page(list(items), last, complete)

    # -- products ----------------------------------------------------------------------------

    async def products(self, conn: AsyncConnection, rows: list[Row]) -> list[Product]:
        ids = [row["id"] for row in rows]
        variants: dict[str, list[Variant]] = {}
        statement = expanding(
            wrap(
                self.settings.variants, ["q.product_id IN :ids"], "q.product_id, q.id", limit=False
            ),
            "ids",
        )
        for start in range(0, len(ids), CHUNK):
            for v in await self.db.rows(conn, statement, ids=ids[start : start + CHUNK]):
                price = v.get("price")
                variants.setdefault(str(v["product_id"]), []).append(
                    Variant(
                        external_id=str(v["id"]),
                        sku=None if v.get("sku") is None else str(v["sku"]),
                        title=_text(v, "title"),
                        price=None if price is None else Decimal(str(price)),
                        weight_grams=v.get("weight_grams"),
                        position=int(v.get("position") or 0),
                    )
                )
        return [self.product(row, variants.get(str(row["id"]), [])) for row in rows]

    def product(self, row: Row, variants: list[Variant]) -> Product:
        changed = row.get("changed")
        stamp = None if changed is None else self.db.changed(changed)
        status = _text(row, "status", "live")
        return Product(
            external_id=str(row["id"]),
            title=_text(row, "title"),
            handle=_text(row, "handle", str(row["id"])),
            status="live" if status in ("live", "1", "True", "true", "active") else "discontinued",
            variants=tuple(variants),
            modified_at=stamp if not isinstance(stamp, int) else None,
            version=stamp if isinstance(stamp, int) else None,
        )

    async def changed_products(self, query: ChangeQuery) -> Page[Product]:
        async with self.db.connect() as conn:
            rows, complete = await self.change_rows(conn, self.settings.products, query)
            return self.page(await self.products(conn, rows), rows, complete)

    async def list_products(self, query: ListQuery) -> Page[Product]:
        async with self.db.connect() as conn:
            rows, complete = await self.list_rows(conn, self.settings.products, query)
            return self.page(await self.products(conn, rows), rows, complete)

    async def list_product_ids(self, query: ListQuery) -> Page[str]:
        """Live product ids (ProductIdLister): the products query alone, no variants."""
        async with self.db.connect() as conn:
            rows, complete = await self.list_rows(conn, self.settings.products, query)
        live = [str(r["id"]) for r in rows if self.product(r, []).status == "live"]
        return self.page(live, rows, complete)

    async def get_product(self, id_or_sku: str) -> Product | None:
        products = self.settings.products
        by_sku = wrap(self.settings.variants, ["q.sku = :sku"], "q.id", limit=False)
        sku_sql = str(by_sku).replace("SELECT *", "SELECT q.product_id", 1)
        async with self.db.connect() as conn:
            rows: list[Row] = []
            if products.key == "text" or id_or_sku.isdigit():
                key = self.db.key(products, id_or_sku)
                rows = await self.db.rows(
                    conn, wrap(products, ["q.id = :key"], "q.id", limit=False), key=key
                )
            if not rows:
                where = [f"q.id IN ({sku_sql})"]
                rows = await self.db.rows(
                    conn, wrap(products, where, "q.id", limit=False), sku=id_or_sku
                )
            found = await self.products(conn, rows[:1])
        return found[0] if found else None

    # -- stock -------------------------------------------------------------------------------

    def level(self, row: Row) -> StockLevel:
        changed = row.get("changed")
        stamp = None if changed is None else self.db.changed(changed)
        return StockLevel(
            sku=str(row["sku"]),
            location=_text(row, "location", "default"),
            quantity=int(row["quantity"]),
            variant_external_id=None if row.get("variant_id") is None else str(row["variant_id"]),
            modified_at=stamp if not isinstance(stamp, int) else None,
            version=stamp if isinstance(stamp, int) else None,
        )

    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]:
        async with self.db.connect() as conn:
            rows, complete = await self.change_rows(conn, self.settings.stock, query)
        return self.page([self.level(r) for r in rows], rows, complete)

    async def list_stock(self, query: ListQuery) -> Page[StockLevel]:
        async with self.db.connect() as conn:
            rows, complete = await self.list_rows(conn, self.settings.stock, query)
        return self.page([self.level(r) for r in rows], rows, complete)

    async def get_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        statement = expanding(
            wrap(self.settings.stock, ["q.sku IN :skus"], "q.id", limit=False), "skus"
        )
        levels: list[StockLevel] = []
        async with self.db.connect() as conn:
            for start in range(0, len(skus), CHUNK):
                rows = await self.db.rows(conn, statement, skus=list(skus[start : start + CHUNK]))
                levels += [self.level(r) for r in rows]
        return levels

    # -- customers ---------------------------------------------------------------------------

    def customer(self, row: Row) -> Customer:
        changed = row.get("changed")
        stamp = None if changed is None else self.db.changed(changed)
        return Customer(
            external_id=str(row["id"]),
            email=None if row.get("email") is None else str(row["email"]),
            first_name=_text(row, "first_name"),
            last_name=_text(row, "last_name"),
            company=_text(row, "company"),
            accounting_id=None if row.get("accounting_id") is None else str(row["accounting_id"]),
            modified_at=stamp if not isinstance(stamp, int) else None,
            version=stamp if isinstance(stamp, int) else None,
        )
