"""The emulator's shop: products, variants, inventory, locations, orders, customers, in memory.

Plain dicts keyed by numeric id; GraphQL views are built from them in emulator_views.py. Every
change that Shopify announces by webhook calls ``self.emit(topic, payload)`` (the sender in
emulator_webhooks.py queues and delivers it). Timestamps have whole-second precision, as
Shopify's do.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(when: datetime | None) -> str | None:
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Shop:
    name: str = "Syncwright Test Shop"
    currency: str = "EUR"
    domain: str = "syncwright-test.myshopify.com"
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    variants: dict[int, dict[str, Any]] = field(default_factory=dict)
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    locations: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: price lists by id (emulator_prices.py)
    price_lists: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: (key, input hash) of inventory calls already applied, and their answers
    idempotency: dict[str, tuple[str, Any]] = field(default_factory=dict)
    emit: Callable[[str, dict[str, Any]], None] = lambda topic, payload: None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def __post_init__(self) -> None:
        if not self.locations:
            self.add_location("Main warehouse")

    def next_id(self) -> int:
        return next(self._ids)

    @property
    def primary_location(self) -> int:
        return min(self.locations)

    def add_location(self, name: str) -> int:
        lid = self.next_id()
        self.locations[lid] = {"id": lid, "name": name}
        return lid

    # -- catalog --------------------------------------------------------------------------

    def product_by_metafield(self, namespace: str, key: str, value: str) -> dict[str, Any] | None:
        for product in self.products.values():
            field_ = product["metafields"].get((namespace, key))
            if field_ is not None and field_["value"] == value:
                return product
        return None

    def product_by_handle(self, handle: str) -> dict[str, Any] | None:
        return next((p for p in self.products.values() if p["handle"] == handle), None)

    def variants_of(self, product: dict[str, Any]) -> list[dict[str, Any]]:
        found = [self.variants[v] for v in product["variants"] if v in self.variants]
        return sorted(found, key=lambda v: (v["position"], v["id"]))

    def new_item(self, sku: str | None, variant: int) -> int:
        iid = self.next_id()
        self.items[iid] = {
            "id": iid,
            "sku": sku,
            "variant": variant,
            "weight": None,
            "levels": {self.primary_location: 0},
            "updated_at": now(),
        }
        return iid

    def product_payload(self, product: dict[str, Any]) -> dict[str, Any]:
        """The REST-shaped body of a products/update webhook."""
        return {
            "id": product["id"],
            "admin_graphql_api_id": f"gid://shopify/Product/{product['id']}",
            "title": product["title"],
            "handle": product["handle"],
            "status": product["status"].lower(),
            "updated_at": iso(product["updated_at"]),
            "variants": [
                {
                    "id": v["id"],
                    "sku": v["sku"],
                    "price": v["price"],
                    "inventory_item_id": v["item"],
                    "position": v["position"],
                }
                for v in self.variants_of(product)
            ],
        }

    # -- inventory ------------------------------------------------------------------------

    def set_available(self, item_id: int, location: int, quantity: int) -> None:
        item = self.items[item_id]
        if item["levels"].get(location) == quantity:
            return
        item["levels"][location] = quantity
        item["updated_at"] = now()
        self.emit(
            "inventory_levels/update",
            {
                "inventory_item_id": item_id,
                "location_id": location,
                "available": quantity,
                "updated_at": iso(item["updated_at"]),
                "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{item_id}?inventory_item_id={item_id}",
            },
        )

    def item_by_sku(self, sku: str) -> dict[str, Any] | None:
        return next((i for i in self.items.values() if i["sku"] == sku), None)

    # -- customers and orders -------------------------------------------------------------

    def add_customer(
        self, email: str | None, first_name: str = "", last_name: str = "", **extra: Any
    ) -> dict[str, Any]:
        cid = self.next_id()
        customer = {
            "id": cid,
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "address": extra.get("address"),
            "updated_at": extra.get("updated_at") or now(),
            "created_at": now(),
        }
        self.customers[cid] = customer
        return customer

    def customer_by_email(self, email: str) -> dict[str, Any] | None:
        wanted = email.lower()
        return next(
            (c for c in self.customers.values() if (c["email"] or "").lower() == wanted), None
        )

    def update_customer(self, cid: int, **changes: Any) -> dict[str, Any]:
        customer = self.customers[cid]
        customer.update(changes)
        customer["updated_at"] = changes.get("updated_at") or now()
        self.emit("customers/update", self.customer_payload(customer))
        return customer

    def customer_payload(self, customer: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": customer["id"],
            "admin_graphql_api_id": f"gid://shopify/Customer/{customer['id']}",
            "email": customer["email"],
            "first_name": customer["first_name"],
            "last_name": customer["last_name"],
            "updated_at": iso(customer["updated_at"]),
        }

    def place_order(
        self,
        lines: list[dict[str, Any]],
        *,
        email: str | None,
        first_name: str = "",
        last_name: str = "",
        source_identifier: str | None = None,
        shipping: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A customer buys: the order is created, stock at the primary location drops."""
        customer = self.customer_by_email(email) if email else None
        if email and customer is None:
            customer = self.add_customer(email, first_name, last_name)
        oid = self.next_id()
        placed: list[dict[str, Any]] = []
        total = Decimal(0)
        for line in lines:
            sku = str(line["sku"])
            quantity = int(line["quantity"])
            item = self.item_by_sku(sku)
            variant = self.variants.get(item["variant"]) if item else None
            price = Decimal(str(line.get("price") or (variant["price"] if variant else "0")))
            total += price * quantity
            placed.append(
                {
                    "id": self.next_id(),
                    "sku": sku,
                    "title": line.get("title") or (variant["title"] if variant else sku),
                    "quantity": quantity,
                    "price": str(price),
                }
            )
            if item is not None:
                level = item["levels"].get(self.primary_location, 0)
                self.set_available(item["id"], self.primary_location, level - quantity)
        stamp = now()
        order = {
            "id": oid,
            "name": f"#{1000 + len(self.orders) + 1}",
            "email": email,
            "customer": customer["id"] if customer else None,
            "lines": placed,
            "currency": self.currency,
            "total": str(total),
            "created_at": stamp,
            "updated_at": stamp,
            "cancelled_at": None,
            "closed": False,
            "source_identifier": source_identifier,
            "shipping": shipping,
            "fulfillments": [],
        }
        self.orders[oid] = order
        self.emit("orders/create", self.order_payload(order))
        return order

    def touch_order(self, oid: int, topic: str = "orders/updated") -> dict[str, Any]:
        order = self.orders[oid]
        order["updated_at"] = now()
        self.emit(topic, self.order_payload(order))
        return order

    def fulfill(self, oid: int, company: str = "", number: str = "") -> dict[str, Any]:
        order = self.orders[oid]
        order["fulfillments"].append(
            {
                "id": self.next_id(),
                "created_at": now(),
                "company": company,
                "number": number,
                "lines": [(line["id"], line["quantity"]) for line in order["lines"]],
            }
        )
        return self.touch_order(oid)

    def cancel(self, oid: int) -> dict[str, Any]:
        self.orders[oid]["cancelled_at"] = now()
        return self.touch_order(oid)

    def order_payload(self, order: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": order["id"],
            "admin_graphql_api_id": f"gid://shopify/Order/{order['id']}",
            "name": order["name"],
            "email": order["email"],
            "currency": order["currency"],
            "total_price": order["total"],
            "updated_at": iso(order["updated_at"]),
            "cancelled_at": iso(order["cancelled_at"]),
            "line_items": [
                {"id": ln["id"], "sku": ln["sku"], "quantity": ln["quantity"], "price": ln["price"]}
                for ln in order["lines"]
            ],
        }
