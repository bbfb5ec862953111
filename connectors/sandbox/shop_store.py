"""The sandbox shop's state in SQLite: products keyed by the back office's id, variants by SKU,
inventory per location and the "Sandbox Price" list, with all their SQL.

Methods are blocking and run one at a time on a worker thread; each write is one transaction.
Variants come back in the order they were written, so a read-back hashes like what was sent.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from connectors.model import Product
from connectors.sandbox.db import chunked, connect, marks, transaction
from connectors.sandbox.timestamps import format_token

PRICE_LIST = "Sandbox Price"
SCHEMA = """
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
    def __init__(self, conn: sqlite3.Connection, locations: Sequence[str]) -> None:
        self._conn = conn
        self.locations = tuple(locations)

    @classmethod
    def open(cls, path: Any, locations: Sequence[str]) -> ShopStore:
        return cls(connect(path, SCHEMA), locations)

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

    # -- reads -----------------------------------------------------------------------------

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
