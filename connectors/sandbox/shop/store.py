"""The sandbox shop's state in SQLite: products keyed by the back office's id, variants by SKU,
inventory per location, the "Sandbox Price" list, store settings and the clock; customers and
orders live in ``customers`` (shop_customer_store.py) and ``orders`` (shop_order_store.py).

Methods are blocking and run one at a time on a worker thread; each write is one transaction.
Variants come back in the order they were written, so a read-back hashes like what was sent.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from syncwright.connectors.model import Product
from syncwright.connectors.sandbox.db import chunked, connect, marks, transaction
from syncwright.connectors.sandbox.refusals import Refused
from syncwright.connectors.sandbox.shop import customer_store as shop_customer_store
from syncwright.connectors.sandbox.shop import order_store as shop_order_store
from syncwright.connectors.sandbox.shop.customer_store import ShopCustomers
from syncwright.connectors.sandbox.shop.order_generator import pick_orders
from syncwright.connectors.sandbox.shop.order_store import ShopOrders
from syncwright.connectors.sandbox.timestamps import SkewedClock, format_token

PRICE_LIST = "Sandbox Price"
SHOP_NAME = "Sandbox Shop"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS price_lists (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS products (
    id INTEGER PRIMARY KEY, external_id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
    handle TEXT NOT NULL, status TEXT NOT NULL, restock_date TEXT, custom TEXT NOT NULL,
    updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS variants (
    sku TEXT PRIMARY KEY, product_id INTEGER NOT NULL, seq INTEGER NOT NULL,
    external_id TEXT NOT NULL, title TEXT NOT NULL, weight_grams INTEGER,
    position INTEGER NOT NULL, image_url TEXT, options TEXT NOT NULL, rrp TEXT);
CREATE INDEX IF NOT EXISTS variants_product ON variants (product_id, seq);
CREATE TABLE IF NOT EXISTS prices (
    price_list TEXT NOT NULL, sku TEXT NOT NULL, price TEXT NOT NULL,
    PRIMARY KEY (price_list, sku));
CREATE TABLE IF NOT EXISTS inventory (
    id INTEGER PRIMARY KEY, sku TEXT NOT NULL, location TEXT NOT NULL,
    quantity INTEGER NOT NULL, updated_at TEXT NOT NULL, UNIQUE (sku, location));
"""
PRODUCT = (
    "SELECT id, external_id, title, handle, status, restock_date, custom, updated_at FROM products"
)
INVENTORY = "SELECT id, sku, location, quantity, updated_at FROM inventory"
Json = dict[str, Any]


def shop_id(row_id: int) -> str:
    return f"sp_{row_id}"


class ShopStore:
    def __init__(
        self, conn: sqlite3.Connection, locations: Sequence[str], clock: SkewedClock
    ) -> None:
        self._conn = conn
        self.locations = tuple(locations)
        self.clock = clock
        self.customers = ShopCustomers(conn, clock)
        self.orders = ShopOrders(conn, clock, self.customers, PRICE_LIST)
        #: Orders placed since start (or the last stats reset): by the API and the generator.
        self.orders_placed = 0

    @classmethod
    def open(cls, path: Any, locations: Sequence[str], currency: str = "USD") -> ShopStore:
        """Open (creating if needed); ``currency`` is the new shop's, until the daemon sets it."""
        conn = connect(path, SCHEMA + shop_customer_store.SCHEMA + shop_order_store.SCHEMA)
        clock = SkewedClock()
        with transaction(conn):
            conn.executemany(
                "INSERT OR IGNORE INTO meta VALUES (?, ?)",
                [
                    ("currency", currency),
                    ("name", SHOP_NAME),
                    ("settings_updated_at", clock.token()),
                    ("clock_offset", "0"),
                ],
            )
            conn.execute("INSERT OR IGNORE INTO price_lists VALUES (?)", (PRICE_LIST,))
        offset = conn.execute("SELECT value FROM meta WHERE key = 'clock_offset'").fetchone()[0]
        clock.offset_seconds = float(offset)
        return cls(conn, locations, clock)

    def close(self) -> None:
        self._conn.close()

    # -- writes ----------------------------------------------------------------------------

    def upsert_products(self, products: Sequence[Product], now: float) -> list[Json]:
        """Create or replace each product and its variant set; a product's SKUs must be its own."""
        stamp = format_token(now)
        results: list[Json] = []
        with transaction(self._conn) as conn:
            skus = [v.sku for p in products for v in p.variants if v.sku]
            owners = dict(
                self._select(
                    "SELECT v.sku, p.external_id FROM variants v JOIN products p "
                    "ON p.id = v.product_id WHERE v.sku IN ({})",
                    skus,
                )
            )
            accepted: dict[str, Product] = {}
            claimed: dict[str, str] = {}
            for product in products:
                error = _clash(product, owners, claimed, accepted)
                results.append({"external_id": product.external_id, "id": None, "error": error})
                if error is None:
                    accepted[product.external_id] = product
            conn.executemany(
                "INSERT INTO products (external_id, title, handle, status, restock_date, custom, "
                "updated_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (external_id) DO UPDATE SET "
                "title = excluded.title, handle = excluded.handle, status = excluded.status, "
                "restock_date = excluded.restock_date, custom = excluded.custom, "
                "updated_at = excluded.updated_at",
                [
                    (
                        p.external_id,
                        p.title,
                        p.handle,
                        p.status,
                        p.restock_date and p.restock_date.isoformat(),
                        json.dumps(p.custom, sort_keys=True),
                        stamp,
                    )
                    for p in accepted.values()
                ],
            )
            ids = dict(
                self._select(
                    "SELECT external_id, id FROM products WHERE external_id IN ({})", list(accepted)
                )
            )
            self._replace_variants(list(accepted.values()), ids)
        for result in results:
            if result["error"] is None:
                result["id"] = shop_id(ids[result["external_id"]])
        return results

    def set_inventory(self, levels: Sequence[tuple[str, str, int]], now: float) -> list[Json]:
        stamp = format_token(now)
        with transaction(self._conn) as conn:
            known = {
                row[0]
                for row in self._select(
                    "SELECT sku FROM variants WHERE sku IN ({})", [sku for sku, _, _ in levels]
                )
            }
            results, rows = [], []
            for sku, location, quantity in levels:
                error = None
                if location not in self.locations:
                    error = f"unknown location {location!r}; this shop has {list(self.locations)}"
                elif sku not in known:
                    error = f"unknown SKU {sku!r}: write its product first"
                else:
                    rows.append((sku, location, quantity, stamp))
                results.append({"sku": sku, "location": location, "error": error})
            conn.executemany(
                "INSERT INTO inventory (sku, location, quantity, updated_at) VALUES (?,?,?,?) "
                "ON CONFLICT (sku, location) DO UPDATE SET quantity = excluded.quantity, "
                "updated_at = excluded.updated_at",
                rows,
            )
        return results

    def set_settings(self, currency: str) -> Json:
        """Set the store currency; its updated_at moves only when it changes."""
        with transaction(self._conn) as conn:
            if self.settings()["currency"] != currency:
                conn.executemany(
                    "UPDATE meta SET value = ? WHERE key = ?",
                    [(currency, "currency"), (self.clock.token(), "settings_updated_at")],
                )
        return self.settings()

    def set_clock_offset(self, seconds: float) -> None:
        with transaction(self._conn) as conn:
            conn.execute("UPDATE meta SET value = ? WHERE key = 'clock_offset'", (str(seconds),))
        self.clock.offset_seconds = seconds

    def place_order(self, spec: Json) -> Json:
        order = self.orders.place(spec, self.settings()["currency"])
        self.orders_placed += 1
        return order

    def random_orders(self, rng: Any, count: int) -> int:
        """Place ``count`` random orders of live, priced products; returns how many were."""
        placed = 0
        with transaction(self._conn) as conn:
            skus = [
                row[0]
                for row in conn.execute(
                    "SELECT v.sku FROM variants v JOIN products p ON p.id = v.product_id "
                    "JOIN prices pr ON pr.sku = v.sku AND pr.price_list = ? "
                    "WHERE p.status = 'live' ORDER BY v.sku",
                    (PRICE_LIST,),
                )
            ]
            customers = [row[0] for row in conn.execute("SELECT id FROM customers ORDER BY id")]
            currency = self.settings()["currency"]
            for spec in pick_orders(rng, count, skus, customers, max(customers, default=0) + 1):
                conn.execute("SAVEPOINT random_order")
                try:
                    self.orders.insert(conn, spec, currency)
                except Refused:  # leave this one out, keep the others
                    conn.execute("ROLLBACK TO random_order")
                else:
                    placed += 1
                conn.execute("RELEASE random_order")
        self.orders_placed += placed
        return placed

    # -- reads -----------------------------------------------------------------------------

    def settings(self) -> Json:
        values = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        return {
            "currency": values["currency"],
            "name": values["name"],
            "updated_at": values["settings_updated_at"],
        }

    def price_lists(self) -> list[Json]:
        currency = self.settings()["currency"]
        rows = self._conn.execute(
            "SELECT l.name, (SELECT count(*) FROM prices p WHERE p.price_list = l.name) "
            "FROM price_lists l ORDER BY l.name"
        ).fetchall()
        return [{"name": name, "currency": currency, "entries": count} for name, count in rows]

    def products_by_external_id(self, external_ids: Sequence[str]) -> list[Json]:
        rows = self._select(f"{PRODUCT} WHERE external_id IN ({{}})", list(external_ids))
        return self._products_json(sorted(rows))

    def list_products(self, after_id: int, limit: int) -> tuple[list[Json], Json | None]:
        rows = self._conn.execute(
            f"{PRODUCT} WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit + 1)
        ).fetchall()
        more = len(rows) > limit
        return self._products_json(rows[:limit]), {"after_id": rows[limit - 1][0]} if more else None

    def inventory_by_sku(self, skus: Sequence[str]) -> list[Json]:
        rows = self._select(f"{INVENTORY} WHERE sku IN ({{}})", list(skus))
        return [_level_json(row) for row in sorted(rows)]

    def list_inventory(self, after_id: int, limit: int) -> tuple[list[Json], Json | None]:
        rows = self._conn.execute(
            f"{INVENTORY} WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit + 1)
        ).fetchall()
        more = len(rows) > limit
        return [_level_json(row) for row in rows[:limit]], {
            "after_id": rows[limit - 1][0]
        } if more else None

    # -- helpers ---------------------------------------------------------------------------

    def _select(self, template: str, values: Sequence[Any]) -> list[Any]:
        """Run ``template`` (with ``{}`` for an IN list) over ``values`` in chunks."""
        rows: list[Any] = []
        for part in chunked(values):
            rows.extend(self._conn.execute(template.format(marks(len(part))), part))
        return rows

    def _replace_variants(self, products: Sequence[Product], ids: dict[str, int]) -> None:
        product_ids = [ids[p.external_id] for p in products]
        old = {
            row[0]
            for row in self._select(
                "SELECT sku FROM variants WHERE product_id IN ({})", product_ids
            )
        }
        new = {v.sku for p in products for v in p.variants if v.sku}
        gone = sorted(old - new)
        for part in chunked(product_ids):
            self._conn.execute(
                f"DELETE FROM variants WHERE product_id IN ({marks(len(part))})", part
            )
        for part in chunked(gone):
            self._conn.execute(f"DELETE FROM inventory WHERE sku IN ({marks(len(part))})", part)
            self._conn.execute(f"DELETE FROM prices WHERE sku IN ({marks(len(part))})", part)
        variants = [(p, seq, v) for p in products for seq, v in enumerate(p.variants)]
        self._conn.executemany(
            "INSERT INTO variants VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    v.sku,
                    ids[p.external_id],
                    seq,
                    v.external_id,
                    v.title,
                    v.weight_grams,
                    v.position,
                    v.image_url,
                    json.dumps(v.options, sort_keys=True),
                    None if v.rrp is None else str(v.rrp),
                )
                for p, seq, v in variants
            ],
        )
        self._conn.executemany(
            "INSERT OR REPLACE INTO prices VALUES (?,?,?)",
            [(PRICE_LIST, v.sku, str(v.price)) for _, _, v in variants if v.price is not None],
        )
        self._conn.executemany(
            "DELETE FROM prices WHERE price_list = ? AND sku = ?",
            [(PRICE_LIST, v.sku) for _, _, v in variants if v.price is None],
        )

    def _products_json(self, rows: Sequence[Any]) -> list[Json]:
        variants: dict[int, list[Json]] = {}
        for v in self._select(
            "SELECT v.product_id, v.external_id, v.sku, v.title, v.weight_grams, v.position, "
            "v.image_url, v.options, p.price, v.rrp FROM variants v LEFT JOIN prices p "
            f"ON p.sku = v.sku AND p.price_list = '{PRICE_LIST}' "
            "WHERE v.product_id IN ({}) ORDER BY v.product_id, v.seq",
            [r[0] for r in rows],
        ):
            variants.setdefault(v[0], []).append(
                {
                    "external_id": v[1],
                    "sku": v[2],
                    "title": v[3],
                    "weight_grams": v[4],
                    "position": v[5],
                    "image_url": v[6],
                    "options": json.loads(v[7]),
                    "price": v[8],
                    "rrp": v[9],
                }
            )
        return [
            {
                "id": shop_id(r[0]),
                "external_id": r[1],
                "title": r[2],
                "handle": r[3],
                "status": r[4],
                "restock_date": r[5],
                "custom": json.loads(r[6]),
                "updated_at": r[7],
                "variants": variants.get(r[0], []),
            }
            for r in rows
        ]


def _clash(
    product: Product, owners: dict[str, str], claimed: dict[str, str], accepted: dict[str, Product]
) -> str | None:
    """Why ``product`` may not be written with its SKUs, or None; claims them when it may."""
    if product.external_id in accepted:
        return f"product {product.external_id} appears twice in this batch"
    for variant in product.variants:
        sku = variant.sku or ""
        owner = claimed.get(sku) or owners.get(sku)
        if owner is not None and owner != product.external_id:
            return f"SKU {sku!r} already belongs to product {owner}"
    for variant in product.variants:
        claimed[variant.sku or ""] = product.external_id
    return None


def _level_json(row: Any) -> Json:
    return {
        "id": row[0],
        "sku": row[1],
        "location": row[2],
        "quantity": row[3],
        "updated_at": row[4],
    }
