"""The emulated store's data: catalogue, options, inventory per location, customers, orders,
price lists and webhook subscriptions, all in memory. Times are to the second, as BigCommerce
stores them. Shaped as BigCommerce answers them; the routes (catalog.py, sales.py) filter and
page."""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def rfc2822(when: datetime) -> str:
    return email.utils.format_datetime(when.astimezone(UTC)).replace("-0000", "+0000")


class Conflict(Exception):
    """A write BigCommerce refuses with 409 (a duplicate name or SKU)."""


class Store:
    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._now = now or (lambda: datetime.now(UTC))
        self.products: dict[int, dict[str, Any]] = {}
        self.variants: dict[int, dict[str, Any]] = {}
        self.options: dict[tuple[int, str], int] = {}
        self.locations: dict[int, dict[str, Any]] = {
            1: {"id": 1, "code": "BC-LOCATION-1", "label": "Default location", "enabled": True}
        }
        self.levels: dict[tuple[int, int], int] = {}
        self.customers: dict[int, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.order_lines: dict[int, list[dict[str, Any]]] = {}
        self.shipments: dict[int, list[dict[str, Any]]] = {}
        self.pricelists: dict[int, dict[str, Any]] = {}
        self.records: dict[tuple[int, int], dict[str, Any]] = {}
        self.hooks: dict[int, dict[str, Any]] = {}
        self.currency = "USD"
        self.ids = {"product": 100, "variant": 1000, "option": 10, "customer": 0, "order": 99}
        self.ids.update({"pricelist": 0, "hook": 0, "location": 1, "line": 0, "shipment": 0})
        #: (scope, resource id) of every event, for the webhook sender.
        self.emit: Callable[..., None] = lambda scope, rid, extra=None: None
        #: Whether an inventory adjustment touches the product's date_modified (assumed not).
        self.inventory_touches_product = False

    def now(self) -> datetime:
        return self._now().replace(microsecond=0)

    def next_id(self, what: str) -> int:
        self.ids[what] += 1
        return self.ids[what]

    # -- catalogue --------------------------------------------------------------------------

    def variants_of(self, pid: int) -> list[dict[str, Any]]:
        return sorted(
            (v for v in self.variants.values() if v["product_id"] == pid), key=lambda v: v["id"]
        )

    def _check_unique(self, pid: int | None, name: str | None, skus: list[str]) -> None:
        if name is not None and any(
            p["name"] == name and p["id"] != pid for p in self.products.values()
        ):
            raise Conflict(f"The product name is a duplicate: {name}")
        taken = {p["sku"]: p["id"] for p in self.products.values() if p["sku"]}
        taken.update({v["sku"]: v["product_id"] for v in self.variants.values() if v["sku"]})
        for sku in skus:
            if sku and sku in taken and taken[sku] != pid:
                raise Conflict(f"The SKU is a duplicate: {sku}")

    def create_product(self, body: dict[str, Any]) -> dict[str, Any]:
        variants = list(body.get("variants") or [])
        self._check_unique(
            None, body["name"], [body.get("sku") or ""] + [v.get("sku") or "" for v in variants]
        )
        pid = self.next_id("product")
        now = self.now()
        product = {
            "id": pid,
            "name": body["name"],
            "type": body.get("type", "physical"),
            "sku": body.get("sku") or "",
            "price": float(body.get("price") or 0),
            "weight": float(body.get("weight") or 0),
            "is_visible": body.get("is_visible", True),
            "custom_url": body.get("custom_url") or {"url": f"/p{pid}/", "is_customized": False},
            "custom_fields": [],
            "date_created": now,
            "date_modified": now,
        }
        self.products[pid] = product
        self._set_fields(product, body.get("custom_fields"))
        for v in variants:
            self.add_variant(pid, v, touch=False)
        self.emit("store/product/created", pid)
        return product

    def _set_fields(self, product: dict[str, Any], fields: Any) -> None:
        if fields is None:
            return
        product["custom_fields"] = [
            {"id": n + 1, "name": str(f["name"]), "value": str(f["value"])}
            for n, f in enumerate(fields)
        ]

    def update_product(self, pid: int, body: dict[str, Any]) -> dict[str, Any]:
        product = self.products[pid]
        self._check_unique(pid, body.get("name"), [body.get("sku") or ""])
        for key in ("name", "type", "sku", "is_visible", "custom_url"):
            if key in body:
                product[key] = body[key]
        for key in ("price", "weight"):
            if key in body:
                product[key] = float(body[key] or 0)
        self._set_fields(product, body.get("custom_fields"))
        product["date_modified"] = self.now()
        self.emit("store/product/updated", pid)
        return product

    def delete_product(self, pid: int) -> None:
        self.products.pop(pid)
        for v in self.variants_of(pid):
            self.variants.pop(v["id"])
            for key in [k for k in self.levels if k[0] == v["id"]]:
                self.levels.pop(key)
        self.emit("store/product/deleted", pid)

    def add_variant(self, pid: int, body: dict[str, Any], *, touch: bool = True) -> dict[str, Any]:
        self._check_unique(pid, None, [body.get("sku") or ""])
        vid = self.next_id("variant")
        values = []
        for ov in body.get("option_values") or []:
            name = str(ov["option_display_name"])
            oid = self.options.get((pid, name))
            if oid is None:
                oid = self.options[(pid, name)] = self.next_id("option")
            values.append(
                {
                    "id": self.next_id("option"),
                    "label": str(ov["label"]),
                    "option_id": oid,
                    "option_display_name": name,
                }
            )
        variant = {
            "id": vid,
            "product_id": pid,
            "sku": body.get("sku") or "",
            "option_values": values,
        }
        self._variant_fields(variant, body)
        self.variants[vid] = variant
        for lid in self.locations:
            self.levels.setdefault((vid, lid), 0)
        if touch:
            self.products[pid]["date_modified"] = self.now()
        return variant

    def _variant_fields(self, variant: dict[str, Any], body: dict[str, Any]) -> None:
        for key in ("price", "retail_price", "weight"):
            if key in body or key not in variant:
                value = body.get(key)
                variant[key] = None if value is None or value == "" else float(value)
        if "image_url" in body or "image_url" not in variant:
            variant["image_url"] = body.get("image_url") or ""

    def update_variant(self, vid: int, body: dict[str, Any]) -> dict[str, Any]:
        variant = self.variants[vid]
        if "sku" in body:
            self._check_unique(variant["product_id"], None, [body["sku"] or ""])
            variant["sku"] = body["sku"] or ""
        self._variant_fields(variant, body)
        self.products[variant["product_id"]]["date_modified"] = self.now()
        self.emit("store/sku/updated", vid)
        return variant

    def delete_variant(self, vid: int) -> None:
        variant = self.variants.pop(vid)
        self.products[variant["product_id"]]["date_modified"] = self.now()
        self.emit("store/sku/deleted", vid)

    def set_level(self, vid: int, lid: int, quantity: int) -> None:
        self.levels[(vid, lid)] = quantity
        if self.inventory_touches_product:
            self.products[self.variants[vid]["product_id"]]["date_modified"] = self.now()
        self.emit(
            "store/sku/inventory/updated",
            vid,
            {
                "inventory": {
                    "product_id": self.variants[vid]["product_id"],
                    "variant_id": vid,
                    "location_id": lid,
                    "method": "absolute",
                    "value": quantity,
                }
            },
        )

    def add_location(self, label: str) -> int:
        lid = self.next_id("location")
        self.locations[lid] = {
            "id": lid,
            "code": f"BC-LOCATION-{lid}",
            "label": label,
            "enabled": True,
        }
        for vid in self.variants:
            self.levels.setdefault((vid, lid), 0)
        return lid

    def by_sku(self, sku: str) -> dict[str, Any] | None:
        return next((v for v in self.variants.values() if v["sku"] == sku), None)

    # -- customers and orders ---------------------------------------------------------------

    def create_customer(self, body: dict[str, Any]) -> dict[str, Any]:
        email = str(body.get("email") or "").lower()
        if not email or any(c["email"].lower() == email for c in self.customers.values()):
            raise Conflict(f"The email address {email} is already in use")
        cid = self.next_id("customer")
        now = self.now()
        self.customers[cid] = {
            "id": cid,
            "email": body["email"],
            "first_name": body.get("first_name", ""),
            "last_name": body.get("last_name", ""),
            "company": body.get("company", ""),
            "customer_group_id": body.get("customer_group_id", 0),
            "addresses": list(body.get("addresses") or []),
            "date_created": now,
            "date_modified": now,
        }
        self.emit("store/customer/created", cid)
        return self.customers[cid]

    def place_order(self, lines: list[dict[str, Any]], email: str, **extra: Any) -> int:
        """A shopper's checkout: the customer (created when new), the order and its lines."""
        found = [c for c in self.customers.values() if c["email"].lower() == email.lower()]
        customer = (
            found[0]
            if found
            else self.create_customer(
                {
                    "email": email,
                    "first_name": extra.get("first_name", "Ann"),
                    "last_name": extra.get("last_name", "Buyer"),
                }
            )
        )
        oid = self.next_id("order")
        now = self.now()
        rows, total = [], 0.0
        for line in lines:
            variant = self.by_sku(str(line["sku"]))
            if variant is None:
                raise KeyError(f"no variant with SKU {line['sku']}")
            price = variant["price"] or self.products[variant["product_id"]]["price"]
            rows.append(
                {
                    "id": self.next_id("line"),
                    "order_id": oid,
                    "product_id": variant["product_id"],
                    "variant_id": variant["id"],
                    "sku": variant["sku"],
                    "name": self.products[variant["product_id"]]["name"],
                    "quantity": int(line["quantity"]),
                    "price_inc_tax": f"{price:.4f}",
                }
            )
            total += price * int(line["quantity"])
        self.order_lines[oid] = rows
        self.shipments[oid] = []
        self.orders[oid] = {
            "id": oid,
            "customer_id": customer["id"],
            "status_id": 11,
            "status": "Awaiting Fulfillment",
            "currency_code": self.currency,
            "total_inc_tax": f"{total:.4f}",
            "is_deleted": False,
            "external_order_id": extra.get("external_order_id"),
            "billing_address": {
                "first_name": customer["first_name"],
                "last_name": customer["last_name"],
                "email": customer["email"],
                "company": customer["company"],
            },
            "date_created": now,
            "date_modified": now,
        }
        self.emit("store/order/created", oid)
        return oid

    def amend(self, oid: int, quantities: dict[str, int]) -> None:
        """Staff edit an order's quantities in the control panel (by SKU)."""
        total = 0.0
        for line in self.order_lines[oid]:
            line["quantity"] = int(quantities.get(line["sku"], line["quantity"]))
            total += float(line["price_inc_tax"]) * line["quantity"]
        self.orders[oid].update(total_inc_tax=f"{total:.4f}", date_modified=self.now())
        self.emit("store/order/updated", oid)

    def ship(self, oid: int, carrier: str, tracking: str) -> int:
        order = self.orders[oid]
        sid = self.next_id("shipment")
        self.shipments[oid].append(
            {
                "id": sid,
                "order_id": oid,
                "tracking_number": tracking,
                "shipping_provider": carrier,
                "tracking_carrier": carrier,
                "date_created": rfc2822(self.now()),
                "items": [
                    {
                        "order_product_id": line["id"],
                        "product_id": line["product_id"],
                        "quantity": line["quantity"],
                    }
                    for line in self.order_lines[oid]
                ],
            }
        )
        order.update(status_id=2, status="Shipped", date_modified=self.now())
        self.emit("store/order/updated", oid)
        return sid
