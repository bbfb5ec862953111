"""The emulator's root fields: the queries and mutations the connector uses.

``Api(shop, version).roots()`` returns (query root, mutation root) for graphql-core. Invalid
input comes back as ``userErrors`` (with Shopify's codes), never as a crash.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from syncwright.connectors.shopify.emulator.inventory import InventoryApi
from syncwright.connectors.shopify.emulator.prices import PriceListApi
from syncwright.connectors.shopify.emulator.store import Shop, now
from syncwright.connectors.shopify.emulator.views import (
    View,
    Views,
    connection,
    parse_gid,
    search,
)

BULK_KIND = "BulkOperation"


class Api:
    def __init__(self, shop: Shop, version: str, bulk: Any = None, imports: Any = None) -> None:
        self.shop = shop
        self.version = version
        self.views = Views(shop)
        self.bulk = bulk  # emulator_bulk.BulkRunner, set by the server
        self.imports = imports  # imports.BulkImports: bulk mutations and staged uploads

    def roots(self) -> tuple[View, View]:
        query = {
            "shop": lambda info: {"name": self.shop.name, "currencyCode": self.shop.currency},
            "products": self.products,
            "productByIdentifier": self.product_by_identifier,
            "inventoryItems": self.inventory_items,
            "inventoryItem": self.inventory_item,
            "locations": lambda info, **a: connection(
                info, list(self.shop.locations.values()), lambda r: r["id"], self.views.location, a
            ),
            "orders": self.orders,
            "order": self.order,
            "customers": self.customers,
            "node": self.node,
        }
        mutation = {
            "productSet": self.product_set,
            "customerCreate": self.customer_create,
            "bulkOperationRunQuery": self.bulk_run,
        }
        mutation.update(InventoryApi(self.shop, self.views, self.version).mutations())
        if self.imports is not None:
            query.update(self.imports.queries(self.version))
            mutation.update(self.imports.mutations(self.version))
        prices = PriceListApi(self.shop, self.views)
        query.update(prices.queries())
        mutation.update(prices.mutations())
        return query, mutation

    # -- queries --------------------------------------------------------------------------

    def products(self, info: GraphQLResolveInfo, **a: Any) -> View:
        match = search(
            a.get("query"),
            {
                "updated_at": lambda p: p["updated_at"],
                "handle": lambda p: p["handle"],
                "id": lambda p: p["id"],
                "status": lambda p: p["status"],
                "sku": lambda p: [v["sku"] for v in self.shop.variants_of(p)],
            },
        )
        key = _sort_key(a.get("sortKey"), {"UPDATED_AT": "updated_at", "TITLE": "title"})
        rows = [p for p in self.shop.products.values() if match(p)]
        return connection(info, rows, key, self.views.product, a)

    def product_by_identifier(
        self, info: GraphQLResolveInfo, identifier: dict[str, Any]
    ) -> View | None:
        found = self._find_product(identifier)
        return None if found is None else self.views.product(found)

    def inventory_items(self, info: GraphQLResolveInfo, **a: Any) -> View:
        match = search(
            a.get("query"),
            {
                "sku": lambda i: i["sku"],
                "id": lambda i: i["id"],
                "updated_at": lambda i: i["updated_at"],
            },
        )
        rows = [i for i in self.shop.items.values() if match(i)]
        return connection(info, rows, lambda r: r["id"], self.views.item, a)

    def inventory_item(self, info: GraphQLResolveInfo, id: str) -> View | None:
        item = self.shop.items.get(parse_gid(id, "InventoryItem") or -1)
        return None if item is None else self.views.item(item)

    def orders(self, info: GraphQLResolveInfo, **a: Any) -> View:
        shop = self.shop
        match = search(
            a.get("query"),
            {
                "updated_at": lambda o: o["updated_at"],
                "created_at": lambda o: o["created_at"],
                "id": lambda o: o["id"],
                "name": lambda o: o["name"],
                "source_identifier": lambda o: o["source_identifier"],
                "email": lambda o: o["email"],
                "sku": lambda o: [ln["sku"] for ln in o["lines"]],
            },
        )
        key = _sort_key(a.get("sortKey"), {"UPDATED_AT": "updated_at", "CREATED_AT": "created_at"})
        rows = [o for o in shop.orders.values() if match(o)]
        return connection(info, rows, key, self.views.order, a)

    def order(self, info: GraphQLResolveInfo, id: str) -> View | None:
        found = self.shop.orders.get(parse_gid(id, "Order") or -1)
        return None if found is None else self.views.order(found)

    def customers(self, info: GraphQLResolveInfo, **a: Any) -> View:
        match = search(
            a.get("query"),
            {
                "updated_at": lambda c: c["updated_at"],
                "email": lambda c: c["email"],
                "id": lambda c: c["id"],
            },
            frozenset({"updated_at"}),
        )
        key = _sort_key(a.get("sortKey"), {"UPDATED_AT": "updated_at"})
        rows = [c for c in self.shop.customers.values() if match(c)]
        return connection(info, rows, key, self.views.customer, a)

    def node(self, info: GraphQLResolveInfo, id: str) -> View | None:
        if self.bulk is not None and parse_gid(id, BULK_KIND) is not None:
            found: View | None = self.bulk.view(id)
            return found
        for kind, table, view in (
            ("Product", self.shop.products, self.views.product),
            ("Order", self.shop.orders, self.views.order),
            ("Customer", self.shop.customers, self.views.customer),
        ):
            number = parse_gid(id, kind)
            if number is not None and number in table:
                return view(table[number])
        return None

    # -- mutations ------------------------------------------------------------------------

    def product_set(self, info: GraphQLResolveInfo, input: dict[str, Any], **a: Any) -> View:
        from syncwright.connectors.shopify.emulator.products import apply_product_set

        product, errors = apply_product_set(
            self.shop, input, self._find_product(a.get("identifier")), a.get("identifier")
        )
        return {
            "product": None if product is None else self.views.product(product),
            "productSetOperation": None,
            "userErrors": errors,
        }

    def customer_create(self, info: GraphQLResolveInfo, input: dict[str, Any]) -> View:
        email = input.get("email")
        if not email and not input.get("phone") and not input.get("lastName"):
            return {
                "customer": None,
                "userErrors": [
                    {
                        "field": ["input"],
                        "message": "A name, phone number, or email address must be present",
                    }
                ],
            }
        if email and self.shop.customer_by_email(email):
            return {
                "customer": None,
                "userErrors": [
                    {"field": ["input", "email"], "message": "Email has already been taken"}
                ],
            }
        created = self.shop.add_customer(
            email, input.get("firstName") or "", input.get("lastName") or ""
        )
        return {"customer": self.views.customer(created), "userErrors": []}

    def bulk_run(self, info: GraphQLResolveInfo, query: str, **a: Any) -> View:
        if self.bulk is None:
            raise GraphQLError("bulk operations are not available")
        result: View = self.bulk.start(query, self.version)
        return result

    def _find_product(self, identifier: Any) -> dict[str, Any] | None:
        if not isinstance(identifier, dict):
            return None
        custom = identifier.get("customId")
        if isinstance(custom, dict):
            return self.shop.product_by_metafield(
                str(custom.get("namespace")), str(custom.get("key")), str(custom.get("value"))
            )
        if identifier.get("id"):
            return self.shop.products.get(parse_gid(identifier["id"], "Product") or -1)
        if identifier.get("handle"):
            return self.shop.product_by_handle(str(identifier["handle"]))
        return None


def _sort_key(sort: Any, fields: dict[str, str]) -> Any:
    name = fields.get(str(sort)) if sort else None
    if name is None:
        return lambda r: r["id"]
    return lambda r: [str(r[name]), r["id"]]


def money(value: Any) -> str | None:
    """A Money input as Shopify keeps it, or None when it is not a decimal >= 0."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return str(value) if amount >= 0 and amount.is_finite() else None


__all__ = ["Api", "money", "now"]
