"""The emulated store's data: retailer, outlets, registers, products, inventory, customers,
sales, all in memory, every change stamped with a version from one global counter.

The counter jumps by a random step (1 to 9) per change, never +1 per object, as the real
store's versions do; a collection lists rows by version ascending. Deletes are soft: the row
keeps its id, gets ``deleted_at`` and a new version.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

Row = dict[str, Any]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class Store:
    def __init__(self, *, registers: int = 1, seed: int = 11, currency: str = "NZD") -> None:
        self.rng = random.Random(seed)
        self.version = 1000
        self.retailer: Row = {
            "id": self._id(),
            "domain_prefix": "example",
            "name": "Emulated Retail",
            "currency": {"code": currency, "symbol": "$"},
            "tax_exclusive": True,
            "country": "NZ",
        }
        self.outlets: dict[str, Row] = {}
        self.registers: dict[str, Row] = {}
        self.products: dict[str, Row] = {}
        self.inventory: dict[tuple[str, str], Row] = {}
        self.customers: dict[str, Row] = {}
        self.sales: dict[str, Row] = {}
        self.fulfillments: dict[str, list[Row]] = {}
        #: Called with (webhook type, API 1.0-shaped object) after a change.
        self.emit: Callable[[str, Row], None] = lambda kind, obj: None
        main = self.add_outlet("Main Outlet")
        for n in range(registers):
            self.add_register(f"Register {n + 1}", main)

    # ids and versions
    def _id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def bump(self, row: Row) -> Row:
        self.version += self.rng.randint(1, 9)
        row["version"] = self.version
        if "updated_at" in row:
            row["updated_at"] = now_iso()
        return row

    # outlets and registers
    def add_outlet(self, name: str) -> str:
        oid = self._id()
        self.outlets[oid] = self.bump(
            {
                "id": oid,
                "name": name,
                "currency": self.retailer["currency"]["code"],
                "deleted_at": None,
                "version": 0,
            }
        )
        for product in self.products.values():
            if product["deleted_at"] is None:
                self._level(product["id"], oid)
        return oid

    def add_register(self, name: str, outlet_id: str) -> str:
        rid = self._id()
        self.registers[rid] = self.bump(
            {
                "id": rid,
                "name": name,
                "outlet_id": outlet_id,
                "invoice_prefix": "",
                "invoice_sequence": 0,
                "is_open": True,
                "deleted_at": None,
                "version": 0,
            }
        )
        return rid

    def outlet_named(self, name: str) -> str:
        for oid, row in self.outlets.items():
            if row["name"] == name:
                return oid
        raise KeyError(f"no outlet {name!r}")

    # products
    def add_family(
        self, name: str, variants: list[dict[str, Any]], *, handle: str | None = None
    ) -> list[str]:
        """A product family: the first variant is the parent row (variant_parent_id null,
        has_variants true when there are others), the rest point to it."""
        ids: list[str] = []
        parent: str | None = None
        for position, spec in enumerate(variants):
            pid = spec.get("id") or self._id()
            stamp = now_iso()
            options = spec.get("options") or {}
            row: Row = {
                "id": pid,
                "name": name,
                "handle": handle or name.lower().replace(" ", "-"),
                "sku": spec.get("sku"),
                "variant_name": " / ".join([name, *options.values()]),
                "variant_options": [{"name": k, "value": v} for k, v in options.items()],
                "variant_parent_id": parent,
                "has_variants": len(variants) > 1,
                "variant_count": len(variants) if parent is None else 0,
                "active": True,
                "is_active": True,
                "has_inventory": True,
                "is_composite": False,
                "source": "USER",
                "price_excluding_tax": float(spec.get("price", 10)),
                "price_including_tax": round(float(spec.get("price", 10)) * 1.15, 5),
                "supply_price": 0,
                "weight": spec.get("weight"),
                "weight_unit": "G",
                "image_url": spec.get("image_url") or "",
                "button_order": position,
                "tag_ids": [],
                "categories": [],
                "images": [],
                "attributes": [],
                "created_at": stamp,
                "updated_at": stamp,
                "deleted_at": None,
                "version": 0,
            }
            self.products[pid] = self.bump(row)
            parent = parent or pid
            ids.append(pid)
            for oid in self.outlets:
                self._level(pid, oid, int(spec.get("stock", {}).get(oid, 0)))
        self.emit("product.update", self.products[ids[0]])
        return ids

    def family(self, family_id: str) -> list[Row]:
        return [
            p
            for p in self.products.values()
            if p["id"] == family_id or p["variant_parent_id"] == family_id
        ]

    def update_product(self, pid: str, **fields: Any) -> Row:
        row = self.products[pid]
        row.update(fields)
        self.bump(row)
        self.emit("product.update", row)
        return row

    def delete_product(self, pid: str) -> None:
        """Deleting a parent deletes its family; deleting a variant deletes it alone."""
        targets = (
            self.family(pid)
            if self.products[pid]["variant_parent_id"] is None
            else [self.products[pid]]
        )
        parent_id = self.products[pid]["variant_parent_id"]
        if parent_id is not None:  # assumed: the parent's count follows, a change of its own
            parent = self.products[parent_id]
            parent["variant_count"] = max(1, parent["variant_count"] - 1)
            parent["has_variants"] = parent["variant_count"] > 1
            self.bump(parent)
        for row in targets:
            row["deleted_at"] = now_iso()
            row["active"] = row["is_active"] = False
            self.bump(row)
            for oid in self.outlets:
                self.inventory.pop((row["id"], oid), None)

    def by_sku(self, sku: str) -> Row | None:
        for row in self.products.values():
            if row["sku"] == sku and row["deleted_at"] is None:
                return row
        return None

    # inventory
    def _level(self, pid: str, oid: str, amount: int = 0) -> Row:
        row = self.inventory.get((pid, oid))
        if row is None:
            row = {
                "id": self._id(),
                "product_id": pid,
                "outlet_id": oid,
                "inventory_level": amount,
                "reorder_point": None,
                "reorder_amount": None,
            }
            self.inventory[(pid, oid)] = row
        row["inventory_level"] = amount
        self.bump(row)
        return row

    def set_level(self, pid: str, oid: str, amount: int) -> Row:
        row = self._level(pid, oid, amount)
        self.emit("inventory.update", {**row, "count": amount})
        return row

    # customers
    def add_customer(self, data: Row) -> Row:
        cid = self._id()
        stamp = now_iso()
        row: Row = {
            "id": cid,
            "customer_code": data.get("customer_code") or f"C-{cid[:8]}",
            "first_name": data.get("first_name"),
            "last_name": data.get("last_name"),
            "email": data.get("email"),
            "company_name": data.get("company_name"),
            "customer_group_id": data.get("customer_group_id") or "all",
            "enable_loyalty": False,
            "do_not_email": False,
            "name": " ".join(x for x in (data.get("first_name"), data.get("last_name")) if x),
            "year_to_date": 0,
            "balance": 0,
            "loyalty_balance": 0,
            "created_at": stamp,
            "updated_at": stamp,
            "deleted_at": None,
            "version": 0,
        }
        for key in (
            "physical_address_1",
            "physical_address_2",
            "physical_city",
            "physical_postcode",
            "physical_country_id",
            "note",
            "phone",
        ):
            row[key] = data.get(key)
        self.customers[cid] = self.bump(row)
        self.emit("customer.update", row)
        return row

    def update_customer(self, cid: str, **fields: Any) -> Row:
        row = self.customers[cid]
        row.update(fields)
        self.emit("customer.update", self.bump(row))
        return row

    # sales (API 0.9 register_sales shape in, 2.0 Sale out)
    def upsert_sale(self, data: Row) -> Row:
        sid = str(data.get("id") or self._id())
        register = self.registers[str(data["register_id"])]
        old = self.sales.get(sid)
        if old is not None:
            self._restock(old, +1)
        stamp = now_iso()
        row: Row = old or {"id": sid, "created_at": stamp, "deleted_at": None, "version": 0}
        lines: list[Row] = [
            {
                "id": self._id(),
                "product_id": str(line["product_id"]),
                "quantity": float(line["quantity"]),
                "price": float(line["price"]),
                "tax": float(line.get("tax", 0)),
                "price_total": 0.0,
                "sequence": n,
                "status": "CONFIRMED",
                "is_return": False,
            }
            for n, line in enumerate(data.get("register_sale_products") or [])
        ]
        for line in lines:
            line["price_total"] = round(line["price"] * line["quantity"], 5)
        row.update(
            outlet_id=register["outlet_id"],
            register_id=register["id"],
            user_id=data.get("user_id") or "",
            customer_id=data.get("customer_id") or "",
            invoice_number=str(data.get("invoice_number") or row.get("invoice_number") or ""),
            source="API",
            source_id=str(data.get("invoice_number") or ""),
            status=str(data.get("status") or "CLOSED"),
            note=data.get("note"),
            short_code=sid[:6],
            return_for=None,
            total_price=round(sum(x["price_total"] for x in lines), 5),
            total_tax=0.0,
            sale_date=data.get("sale_date") or stamp,
            updated_at=stamp,
            line_items=lines,
            taxes=[],
            payments=[],
            adjustments=[],
            attributes=[],
        )
        self.sales[sid] = self.bump(row)
        self._restock(row, -1)
        self.emit("sale.update", row)
        return row

    def _restock(self, sale: Row, sign: int) -> None:
        for line in sale["line_items"]:
            level = self.inventory.get((line["product_id"], sale["outlet_id"]))
            if level is not None:
                level["inventory_level"] += sign * int(line["quantity"])
                self.bump(level)

    def fulfil(self, sid: str, kind: str) -> Row:
        sale = self.sales[sid]
        done: Row = {
            "id": self._id(),
            "sale_id": sid,
            "outlet_id": sale["outlet_id"],
            "user_id": "",
            "status": kind,
            "created_at": now_iso(),
            "line_items": [
                {"id": x["id"], "product_id": x["product_id"], "quantity": x["quantity"]}
                for x in sale["line_items"]
            ],
        }
        self.fulfillments.setdefault(sid, []).append(done)
        sale["status"] = "DISPATCHED_CLOSED" if kind == "SHIPPED" else "PICKED_UP_CLOSED"
        self.bump(sale)
        return done


def page(rows: Iterable[Row], after: int, before: int | None, size: int) -> list[Row]:
    """Rows with after < version (< before), version ascending, at most ``size``."""
    chosen = [r for r in rows if r["version"] > after and (before is None or r["version"] < before)]
    chosen.sort(key=lambda r: r["version"])
    return chosen[:size]
