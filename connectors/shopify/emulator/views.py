"""GraphQL views of the emulator's shop, for graphql-core's default resolver.

A view is a dict; a value that needs arguments (a connection, a metafield) is a function
``(info, **args)``, which graphql-core's default resolver calls. Connections page with opaque
cursors over a sort key, at most 250 nodes per page; in a bulk operation (``unbounded``) a
connection without first/last returns everything.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from syncwright.connectors.shopify.emulator.search import SearchError, compile_search
from syncwright.connectors.shopify.emulator.store import Shop, iso

MAX_PAGE = 250
View = dict[str, Any]


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: Any, kind: str) -> int | None:
    prefix = f"gid://shopify/{kind}/"
    if not isinstance(value, str) or not value.startswith(prefix):
        return None
    tail = value[len(prefix) :].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


def connection(
    info: GraphQLResolveInfo,
    rows: Sequence[Any],
    key: Callable[[Any], Any],
    view: Callable[[Any], View],
    args: dict[str, Any],
) -> View:
    unbounded = bool((info.context or {}).get("unbounded"))
    first, last = args.get("first"), args.get("last")
    if first is None and last is None and not unbounded:
        raise GraphQLError("you must provide one of first or last")
    size = first if first is not None else last
    if size is not None and not 0 <= size <= MAX_PAGE:
        raise GraphQLError(f"The page size must be between 0 and {MAX_PAGE}, not {size}.")
    ordered = sorted(rows, key=key, reverse=bool(args.get("reverse")))
    after = _decode(args.get("after"))
    if after is not None:
        ordered = [r for r in ordered if _after(key(r), after, bool(args.get("reverse")))]
    page = ordered if size is None else ordered[:size]
    more = size is not None and len(ordered) > len(page)
    edges = [{"cursor": _encode(key(r)), "node": view(r)} for r in page]
    return {
        "nodes": [e["node"] for e in edges],
        "edges": edges,
        "pageInfo": {
            "hasNextPage": more,
            "hasPreviousPage": after is not None,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _encode(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode()


def _decode(cursor: Any) -> Any:
    if cursor is None:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(str(cursor).encode()))
    except ValueError:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor}") from None


def _after(key: Any, cursor: Any, reverse: bool) -> bool:
    left = json.loads(json.dumps(key, default=str))
    return bool(left < cursor) if reverse else bool(left > cursor)


def search(
    text: str | None, fields: dict[str, Callable[[Any], Any]], days: frozenset[str] = frozenset()
) -> Callable[[Any], bool]:
    try:
        return compile_search(text, fields, days)
    except SearchError as exc:
        raise GraphQLError(str(exc)) from None


class Views:
    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def product(self, p: dict[str, Any]) -> View:
        shop = self.shop

        def metafield(info: Any, namespace: str, key: str) -> View | None:
            found = p["metafields"].get((namespace, key))
            return None if found is None else {"value": found["value"], "type": found["type"]}

        return {
            "__typename": "Product",
            "id": gid("Product", p["id"]),
            "legacyResourceId": str(p["id"]),
            "title": p["title"],
            "handle": p["handle"],
            "status": p["status"],
            "updatedAt": iso(p["updated_at"]),
            "createdAt": iso(p["created_at"]),
            "metafield": metafield,
            "variants": lambda info, **a: connection(
                info, shop.variants_of(p), lambda v: [v["position"], v["id"]], self.variant, a
            ),
        }

    def variant(self, v: dict[str, Any]) -> View:
        item = self.shop.items[v["item"]]
        return {
            "__typename": "ProductVariant",
            "id": gid("ProductVariant", v["id"]),
            "legacyResourceId": str(v["id"]),
            "sku": v["sku"],
            "title": v["title"],
            "position": v["position"],
            "price": v["price"],
            "compareAtPrice": v["compareAtPrice"],
            "selectedOptions": [{"name": n, "value": val} for n, val in v["options"]],
            "image": {"url": v["image"]} if v["image"] else None,
            "inventoryItem": self.item(item),
        }

    def item(self, i: dict[str, Any]) -> View:
        def levels(info: Any, **a: Any) -> View:
            rows = sorted(i["levels"].items())
            return connection(info, rows, lambda r: r[0], lambda r: self.level(i, r[0]), a)

        def level(info: Any, locationId: str) -> View | None:
            lid = parse_gid(locationId, "Location")
            return self.level(i, lid) if lid in i["levels"] else None

        weight = i["weight"]
        return {
            "__typename": "InventoryItem",
            "id": gid("InventoryItem", i["id"]),
            "legacyResourceId": str(i["id"]),
            "sku": i["sku"],
            "tracked": True,
            "updatedAt": iso(i["updated_at"]),
            "measurement": {"weight": dict(weight) if weight else None},
            "inventoryLevels": levels,
            "inventoryLevel": level,
        }

    def level(self, i: dict[str, Any], lid: int | None) -> View:
        assert lid is not None
        location = self.shop.locations[lid]

        def quantities(info: Any, names: list[str]) -> list[View]:
            qty = i["levels"][lid]
            values = {"available": qty, "on_hand": qty, "committed": 0, "incoming": 0}
            return [{"name": n, "quantity": values.get(n, 0)} for n in names]

        return {
            "id": f"gid://shopify/InventoryLevel/{i['id']}?inventory_item_id={i['id']}",
            "location": self.location(location),
            "quantities": quantities,
        }

    def location(self, loc: dict[str, Any]) -> View:
        return {"__typename": "Location", "id": gid("Location", loc["id"]), "name": loc["name"]}

    def customer(self, c: dict[str, Any]) -> View:
        address = c.get("address")
        return {
            "__typename": "Customer",
            "id": gid("Customer", c["id"]),
            "legacyResourceId": str(c["id"]),
            "firstName": c["first_name"],
            "lastName": c["last_name"],
            "updatedAt": iso(c["updated_at"]),
            "defaultEmailAddress": {"emailAddress": c["email"]} if c["email"] else None,
            "defaultAddress": _address(address),
        }

    def order(self, o: dict[str, Any]) -> View:
        shop = self.shop
        customer = shop.customers.get(o["customer"]) if o["customer"] else None
        lines = {line["id"]: line for line in o["lines"]}

        def line_view(line: dict[str, Any]) -> View:
            return {
                "id": gid("LineItem", line["id"]),
                "sku": line["sku"],
                "title": line["title"],
                "quantity": line["quantity"],
                "originalUnitPriceSet": _money(line["price"], o["currency"]),
            }

        def fulfillments(
            info: Any, first: int | None = None, query: str | None = None
        ) -> list[View]:
            rows = o["fulfillments"][: first or None]
            return [
                {
                    "id": gid("Fulfillment", f["id"]),
                    "createdAt": iso(f["created_at"]),
                    "trackingInfo": lambda info, first=None, f=f: (
                        [{"company": f["company"], "number": f["number"]}] if f["number"] else []
                    ),
                    "fulfillmentLineItems": lambda info, f=f, **a: connection(
                        info,
                        f["lines"],
                        lambda r: r[0],
                        lambda r: {"quantity": r[1], "lineItem": line_view(lines[r[0]])},
                        a,
                    ),
                }
                for f in rows
            ]

        return {
            "__typename": "Order",
            "id": gid("Order", o["id"]),
            "legacyResourceId": str(o["id"]),
            "name": o["name"],
            "email": o["email"],
            "createdAt": iso(o["created_at"]),
            "updatedAt": iso(o["updated_at"]),
            "cancelledAt": iso(o["cancelled_at"]),
            "closed": o["closed"],
            "currencyCode": o["currency"],
            "sourceIdentifier": o["source_identifier"],
            "currentTotalPriceSet": _money(o["total"], o["currency"]),
            "customer": self.customer(customer) if customer else None,
            "shippingAddress": _address(o["shipping"]),
            "lineItems": lambda info, **a: connection(
                info, o["lines"], lambda r: r["id"], line_view, a
            ),
            "fulfillments": fulfillments,
        }


def _money(amount: str, currency: str) -> View:
    money = {"amount": amount, "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": money}


def _address(raw: dict[str, Any] | None) -> View | None:
    if not raw:
        return None
    return {
        "company": raw.get("company"),
        "address1": raw.get("line1"),
        "address2": raw.get("line2"),
        "city": raw.get("city"),
        "zip": raw.get("postcode"),
        "countryCodeV2": raw.get("country") or None,
    }
