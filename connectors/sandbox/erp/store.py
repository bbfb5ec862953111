"""The sandbox back office's state in SQLite: catalogue, stock and customers, read and written.

Methods are blocking and run one at a time on a worker thread (see web.DbWorker); each write
method is one transaction. A product's modified_at moves when it or one of its variants changes,
never when its stock does; stock rows carry their own modified_at.
"""

from __future__ import annotations

import json
import random
import sqlite3
from decimal import Decimal
from typing import Any

from syncwright.connectors.sandbox.db import (
    Page,
    change_filter,
    chunked,
    connect,
    cut,
    json_page,
    marks,
    transaction,
)
from syncwright.connectors.sandbox.erp.customer_store import CustomerStore
from syncwright.connectors.sandbox.erp.order_store import OrderStore
from syncwright.connectors.sandbox.erp.schema import (
    CUSTOMER_ADDED,
    CUSTOMER_COLUMNS,
    PRODUCT,
    SALES_SCHEMA,
    SCHEMA,
    STOCK,
    VARIANT_COLUMNS,
)
from syncwright.connectors.sandbox.erp.seed import ADJECTIVES, seed_data
from syncwright.connectors.sandbox.refusals import Conflict, Invalid, NotFound
from syncwright.connectors.sandbox.settings import ErpSettings
from syncwright.connectors.sandbox.timestamps import SkewedClock

__all__ = ["Conflict", "ErpStore", "Invalid", "NotFound"]
Json = dict[str, Any]
#: Store settings as first seeded; PUT /admin/settings changes them.
DEFAULT_SETTINGS = {"currency": "EUR", "name": "Sandbox ERP"}


class ErpStore:
    """Products and stock here; customers and sale orders in ``customers`` and ``orders``."""

    def __init__(self, conn: sqlite3.Connection, clock: SkewedClock) -> None:
        self._conn = conn
        self.clock = clock
        self.warehouses = [row[0] for row in conn.execute("SELECT name FROM warehouses")]
        self.customers = CustomerStore(conn, clock)
        self.orders = OrderStore(conn, clock)

    @classmethod
    def open(cls, settings: ErpSettings) -> ErpStore:
        """Open the database, seeding it on first start (an existing one keeps its state)."""
        conn = connect(settings.db_path, SCHEMA)
        _add_missing_columns(conn, "customers", CUSTOMER_ADDED)
        conn.executescript(SALES_SCHEMA)
        offset = conn.execute("SELECT value FROM meta WHERE key = 'clock_offset'").fetchone()
        clock = SkewedClock(float(offset[0]) if offset else 0.0)
        with transaction(conn):
            conn.executemany(
                "INSERT OR IGNORE INTO warehouses VALUES (?)",
                [(name,) for name in settings.warehouses],
            )
            if conn.execute("SELECT 1 FROM meta WHERE key = 'seeded'").fetchone() is None:
                data = seed_data(settings, clock.now())
                conn.executemany("INSERT INTO products VALUES (?,?,?,?,?,?,?,0)", data.products)
                conn.executemany("INSERT INTO variants VALUES (?,?,?,?,?,?,?,?,?,?)", data.variants)
                conn.executemany(
                    "INSERT INTO stock (variant_id, location, quantity, "
                    "modified_at) VALUES (?,?,?,?)",
                    data.stock,
                )
                conn.executemany(
                    f"INSERT INTO customers (id, {', '.join(CUSTOMER_COLUMNS)}) "
                    f"VALUES ({marks(len(CUSTOMER_COLUMNS) + 1)})",
                    data.customers,
                )
                conn.execute("INSERT INTO meta VALUES ('seeded', ?)", (clock.token(),))
            conn.executemany(
                "INSERT OR IGNORE INTO meta VALUES (?, ?)",
                [*DEFAULT_SETTINGS.items(), ("settings_modified_at", clock.token())],
            )
        return cls(conn, clock)

    def close(self) -> None:
        self._conn.close()

    # -- reads (JSON text) -----------------------------------------------------------------

    def changed_products(
        self, since: str | None, after: tuple[str, int] | None, limit: int
    ) -> Page:
        where, args = change_filter("p.modified_at", "p.id", since, after)
        return json_page(
            self._conn.execute(
                f"{PRODUCT} WHERE {where} ORDER BY p.modified_at, p.id LIMIT ?", (*args, limit + 1)
            ).fetchall(),
            limit,
            by_time=True,
        )

    def list_products(self, after_id: int, limit: int) -> Page:
        return json_page(
            self._conn.execute(
                f"{PRODUCT} WHERE p.deleted = 0 AND p.id > ? ORDER BY p.id LIMIT ?",
                (after_id, limit + 1),
            ).fetchall(),
            limit,
            by_time=False,
        )

    def product_ids(self, after_id: int, limit: int) -> Page:
        """Ids of the live catalogue by id, without the records (a cheap full listing)."""
        rows = self._conn.execute(
            "SELECT id, NULL, id FROM products WHERE deleted = 0 AND id > ? ORDER BY id LIMIT ?",
            (after_id, limit + 1),
        ).fetchall()
        return cut(rows, limit, by_time=False, item=lambda row: str(row[2]))

    def purge_product(self, product_id: int) -> None:
        """Remove a product with its variants and stock: a deletion that shows only as absence."""
        with transaction(self._conn) as conn:
            self._existing(product_id)
            variants = "SELECT id FROM variants WHERE product_id = ?"
            conn.execute(f"DELETE FROM stock WHERE variant_id IN ({variants})", (product_id,))
            conn.execute("DELETE FROM variants WHERE product_id = ?", (product_id,))
            conn.execute("DELETE FROM products WHERE id = ?", (product_id,))

    def get_product(self, product_id: int) -> str | None:
        row = self._conn.execute(f"{PRODUCT} WHERE p.id = ?", (product_id,)).fetchone()
        return None if row is None else str(row[2])

    def product_by_sku(self, sku: str) -> str | None:
        row = self._conn.execute("SELECT product_id FROM variants WHERE sku = ?", (sku,)).fetchone()
        return None if row is None else self.get_product(row[0])

    def changed_stock(self, since: str | None, after: tuple[str, int] | None, limit: int) -> Page:
        where, args = change_filter("s.modified_at", "s.id", since, after)
        return json_page(
            self._conn.execute(
                f"{STOCK} AND {where} ORDER BY s.modified_at, s.id LIMIT ?", (*args, limit + 1)
            ).fetchall(),
            limit,
            by_time=True,
        )

    def list_stock(self, after_id: int, limit: int) -> Page:
        return json_page(
            self._conn.execute(
                f"{STOCK} AND s.id > ? ORDER BY s.id LIMIT ?", (after_id, limit + 1)
            ).fetchall(),
            limit,
            by_time=False,
        )

    def stock_by_sku(self, skus: list[str]) -> list[str]:
        return [
            row[2]
            for part in chunked(skus)
            for row in self._conn.execute(
                f"{STOCK} AND v.sku IN ({marks(len(part))}) ORDER BY s.id", part
            )
        ]

    def settings(self) -> Json:
        values = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        return {
            "currency": values["currency"],
            "name": values["name"],
            "modified_at": values["settings_modified_at"],
        }

    # -- writes (admin endpoints and the change generator) ---------------------------------

    def create_product(self, fields: Json, variants: list[Json]) -> str:
        now = self.clock.token()
        with transaction(self._conn) as conn:
            cursor = conn.execute(
                "INSERT INTO products (title, handle, status, restock_date, custom, modified_at) "
                "VALUES (?,?,?,?,?,?)",
                (
                    fields["title"],
                    fields.get("handle") or "",
                    fields.get("status", "live"),
                    fields.get("restock_date"),
                    json.dumps(fields.get("custom", {})),
                    now,
                ),
            )
            product_id = cursor.lastrowid
            assert product_id is not None
            if not fields.get("handle"):
                conn.execute(
                    "UPDATE products SET handle = ? WHERE id = ?",
                    (_slug(fields["title"], product_id), product_id),
                )
            for position, variant in enumerate(variants, 1):
                self._add_variant(product_id, {"position": position, **variant}, now)
        return self._existing(product_id)

    def patch_product(
        self, product_id: int, fields: Json, variants: list[Json], modified_at: str | None
    ) -> str:
        """Edit a product and its variants; ``modified_at`` overrides the new timestamp."""
        stamp = modified_at or self.clock.token()
        with transaction(self._conn) as conn:
            self._existing(product_id)
            columns = {k: json.dumps(v) if k == "custom" else v for k, v in fields.items()}
            columns["modified_at"] = stamp
            conn.execute(
                f"UPDATE products SET {', '.join(f'{k} = ?' for k in columns)} WHERE id = ?",
                (*columns.values(), product_id),
            )
            for edit in variants:
                self._edit_variant(product_id, edit, stamp)
        return self._existing(product_id)

    def delete_product(self, product_id: int) -> str:
        with transaction(self._conn) as conn:
            self._existing(product_id)
            conn.execute(
                "UPDATE products SET deleted = 1, modified_at = ? WHERE id = ?",
                (self.clock.token(), product_id),
            )
        return self._existing(product_id)

    def set_stock(self, levels: list[tuple[str, str, int]]) -> list[str]:
        """Set quantities by (sku, warehouse, quantity); all or nothing."""
        now = self.clock.token()
        with transaction(self._conn) as conn:
            rows = []
            for sku, location, quantity in levels:
                found = conn.execute("SELECT id FROM variants WHERE sku = ?", (sku,)).fetchone()
                if found is None:
                    raise NotFound(f"no variant has SKU {sku!r}")
                if location not in self.warehouses:
                    raise Conflict(f"unknown warehouse {location!r}; known: {self.warehouses}")
                rows.append((found[0], location, quantity, now))
            conn.executemany(
                "INSERT INTO stock (variant_id, location, quantity, modified_at) VALUES (?,?,?,?) "
                "ON CONFLICT (variant_id, location) DO UPDATE SET quantity = excluded.quantity, "
                "modified_at = excluded.modified_at",
                rows,
            )
        return self.stock_by_sku(sorted({sku for sku, _, _ in levels}))

    def set_settings(self, changes: Json) -> Json:
        """Change the currency and/or name; the settings' modified_at moves only on a change."""
        with transaction(self._conn) as conn:
            current = self.settings()
            if any(current[key] != value for key, value in changes.items()):
                conn.executemany(
                    "UPDATE meta SET value = ? WHERE key = ?",
                    [(value, key) for key, value in changes.items()]
                    + [(self.clock.token(), "settings_modified_at")],
                )
        return self.settings()

    def set_clock_offset(self, seconds: float) -> None:
        with transaction(self._conn) as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('clock_offset', ?)", (str(seconds),))
        self.clock.offset_seconds = seconds

    def random_changes(self, rng: random.Random, count: int) -> int:
        """Apply ``count`` random edits (a title, a price or a quantity) in one transaction."""
        now = self.clock.token()
        done = 0
        with transaction(self._conn) as conn:
            top_product = conn.execute("SELECT max(id) FROM products").fetchone()[0] or 0
            top_stock = conn.execute("SELECT max(id) FROM stock").fetchone()[0] or 0
            for _ in range(count):
                if rng.random() < 0.5 and top_stock:
                    done += conn.execute(
                        "UPDATE stock SET quantity = max(0, quantity + ?), modified_at = ? "
                        "WHERE id = ?",
                        (rng.randint(-5, 10), now, rng.randint(1, top_stock)),
                    ).rowcount
                elif top_product:
                    done += self._random_product_edit(conn, rng, rng.randint(1, top_product), now)
        return done

    # -- helpers ---------------------------------------------------------------------------

    def _existing(self, product_id: int) -> str:
        product = self.get_product(product_id)
        if product is None:
            raise NotFound(f"no product with id {product_id}")
        return product

    def _add_variant(self, product_id: int, variant: Json, now: str) -> None:
        values = [
            json.dumps(variant.get("options", {})) if k == "options" else variant.get(k)
            for k in VARIANT_COLUMNS
        ]
        try:
            cursor = self._conn.execute(
                f"INSERT INTO variants (product_id, {', '.join(VARIANT_COLUMNS)}) "
                f"VALUES (?, {marks(len(VARIANT_COLUMNS))})",
                (product_id, *values),
            )
        except sqlite3.IntegrityError:
            raise self._sku_taken(variant.get("sku")) from None
        self._conn.executemany(
            "INSERT INTO stock (variant_id, location, quantity, modified_at) VALUES (?,?,0,?)",
            [(cursor.lastrowid, name, now) for name in self.warehouses],
        )

    def _sku_taken(self, sku: Any) -> Conflict:
        owner = self._conn.execute(
            "SELECT product_id FROM variants WHERE sku = ?", (sku,)
        ).fetchone()
        where = f"product {owner[0]}" if owner else "another variant"
        return Conflict(
            f"SKU {sku!r} already belongs to {where}", existing_id=owner[0] if owner else None
        )

    def _edit_variant(self, product_id: int, edit: Json, now: str) -> None:
        if "id" not in edit:
            top = self._conn.execute(
                "SELECT coalesce(max(position), 0) FROM variants WHERE product_id = ?",
                (product_id,),
            ).fetchone()[0]
            self._add_variant(product_id, {"position": top + 1, **edit}, now)
            return
        variant_id = edit["id"]
        owner = self._conn.execute(
            "SELECT product_id FROM variants WHERE id = ?", (variant_id,)
        ).fetchone()
        if owner is None or owner[0] != product_id:
            raise NotFound(f"product {product_id} has no variant {variant_id}")
        if edit.get("delete"):
            self._conn.execute("DELETE FROM variants WHERE id = ?", (variant_id,))
            self._conn.execute("DELETE FROM stock WHERE variant_id = ?", (variant_id,))
            return
        columns = {
            k: json.dumps(v) if k == "options" else v
            for k, v in edit.items()
            if k in VARIANT_COLUMNS
        }
        if not columns:
            return
        try:
            self._conn.execute(
                f"UPDATE variants SET {', '.join(f'{k} = ?' for k in columns)} WHERE id = ?",
                (*columns.values(), variant_id),
            )
        except sqlite3.IntegrityError:
            raise self._sku_taken(edit.get("sku")) from None
        if "sku" in columns:  # stock under a new SKU is news to every channel
            self._conn.execute(
                "UPDATE stock SET modified_at = ? WHERE variant_id = ?", (now, variant_id)
            )

    def _random_product_edit(
        self, conn: sqlite3.Connection, rng: random.Random, near_id: int, now: str
    ) -> int:
        row = conn.execute(
            "SELECT id, title FROM products WHERE id >= ? AND deleted = 0 ORDER BY id LIMIT 1",
            (near_id,),
        ).fetchone()
        if row is None:
            return 0
        product_id, title = row
        if rng.random() < 0.5:
            rest = title.split(" ", 1)[1] if " " in title else title
            conn.execute(
                "UPDATE products SET title = ?, modified_at = ? WHERE id = ?",
                (f"{rng.choice(ADJECTIVES)} {rest}", now, product_id),
            )
            return 1
        for variant_id, price in conn.execute(
            "SELECT id, price FROM variants WHERE product_id = ?", (product_id,)
        ).fetchall():
            factor = Decimal(rng.randint(90, 110)) / 100
            new = max(Decimal("0.99"), (Decimal(price) * factor).quantize(Decimal("0.01")))
            conn.execute("UPDATE variants SET price = ? WHERE id = ?", (str(new), variant_id))
        conn.execute("UPDATE products SET modified_at = ? WHERE id = ?", (now, product_id))
        return 1


def _add_missing_columns(conn: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    """Bring a table made by an older sandbox up to date (new columns only, data kept)."""
    present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    for name, kind in columns.items():
        if name not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def _slug(title: str, product_id: int) -> str:
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join([*words, str(product_id)])
