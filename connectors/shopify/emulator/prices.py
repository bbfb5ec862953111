"""The emulator's price lists: the ``priceLists`` / ``priceList`` queries and the
``priceListCreate`` / ``priceListFixedPricesAdd`` mutations, as the Admin schema publishes them.

A list lives in ``Shop.price_lists``: ``{id, name, currency, adjustment, prices}``, where
``prices`` maps a variant id to its fixed ``(price, compare-at price)``. Names are unique per
shop (Shopify's TAKEN error), fixed prices must be in the list's currency, and at most 250
prices go in one call; invalid input comes back as ``userErrors`` with Shopify's codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import GraphQLResolveInfo

from syncwright.connectors.shopify.emulator.store import Shop
from syncwright.connectors.shopify.emulator.views import (
    MAX_PAGE,
    View,
    Views,
    connection,
    gid,
    parse_gid,
    search,
)

ADJUSTMENTS = {"PERCENTAGE_DECREASE", "PERCENTAGE_INCREASE"}


class PriceListApi:
    def __init__(self, shop: Shop, views: Views) -> None:
        self.shop = shop
        self.views = views

    def queries(self) -> dict[str, Any]:
        return {"priceLists": self.price_lists, "priceList": self.price_list}

    def mutations(self) -> dict[str, Any]:
        return {"priceListCreate": self.create, "priceListFixedPricesAdd": self.add_fixed}

    # -- queries --------------------------------------------------------------------------

    def price_lists(self, info: GraphQLResolveInfo, **a: Any) -> View:
        rows = list(self.shop.price_lists.values())
        key = (lambda r: [r["name"], r["id"]]) if a.get("sortKey") == "NAME" else _by_id
        return connection(info, rows, key, self.view, a)

    def price_list(self, info: GraphQLResolveInfo, id: str) -> View | None:
        found = self.shop.price_lists.get(parse_gid(id, "PriceList") or -1)
        return None if found is None else self.view(found)

    def view(self, row: dict[str, Any]) -> View:
        def prices(info: GraphQLResolveInfo, **a: Any) -> View:
            wanted = a.get("originType")
            variants = self.shop.variants
            match = search(
                a.get("query"),
                {
                    "product_id": lambda r: variants[r[0]]["product"],
                    "variant_id": lambda r: r[0],
                    "id": lambda r: r[0],
                },
            )
            live = [r for r in sorted(row["prices"].items()) if r[0] in variants and match(r)]
            fixed = [] if wanted == "RELATIVE" else live
            return connection(info, fixed, lambda r: r[0], lambda r: self._price(row, r), a)

        kind, value = row["adjustment"]
        return {
            "__typename": "PriceList",
            "id": gid("PriceList", row["id"]),
            "name": row["name"],
            "currency": row["currency"],
            "fixedPricesCount": len(row["prices"]),
            "catalog": None,
            "parent": {"adjustment": {"type": kind, "value": value}, "settings": None},
            "prices": prices,
        }

    def _price(self, row: dict[str, Any], entry: tuple[int, tuple[str, str | None]]) -> View:
        vid, (price, compare) = entry
        money = {"amount": price, "currencyCode": row["currency"]}
        return {
            "price": money,
            "compareAtPrice": None
            if compare is None
            else {"amount": compare, "currencyCode": row["currency"]},
            "originType": "FIXED",
            "variant": self.views.variant(self.shop.variants[vid]),
        }

    # -- mutations ------------------------------------------------------------------------

    def create(self, info: GraphQLResolveInfo, input: dict[str, Any]) -> View:
        name = str(input.get("name") or "").strip()
        errors: list[tuple[list[str], str | None, str]] = []
        if not name:
            errors.append((["input", "name"], "BLANK", "Name can't be blank"))
        elif any(r["name"] == name for r in self.shop.price_lists.values()):
            errors.append((["input", "name"], "TAKEN", "Name has already been taken"))
        adjustment = (input.get("parent") or {}).get("adjustment") or {}
        kind, value = adjustment.get("type"), adjustment.get("value")
        where = ["input", "parent", "adjustment", "value"]
        if kind not in ADJUSTMENTS or not isinstance(value, int | float):
            errors.append((where, "INVALID_ADJUSTMENT_VALUE", "Adjustment is not valid"))
        elif value < 0:
            errors.append((where, "INVALID_ADJUSTMENT_MIN_VALUE", "Adjustment must be >= 0"))
        elif value > 100:
            errors.append((where, "INVALID_ADJUSTMENT_MAX_VALUE", "Adjustment must be <= 100"))
        if errors:
            return {"priceList": None, "userErrors": _errors(errors)}
        row = {
            "id": self.shop.next_id(),
            "name": name,
            "currency": input["currency"],
            "adjustment": (kind, float(value if isinstance(value, int | float) else 0)),
            "prices": {},
        }
        self.shop.price_lists[row["id"]] = row
        return {"priceList": self.view(row), "userErrors": []}

    def add_fixed(
        self, info: GraphQLResolveInfo, priceListId: str, prices: list[dict[str, Any]]
    ) -> View:
        from syncwright.connectors.shopify.emulator.api import money

        row = self.shop.price_lists.get(parse_gid(priceListId, "PriceList") or -1)
        if row is None:
            return _refused(["priceListId"], "PRICE_LIST_NOT_FOUND", "Price list not found.")
        if len(prices) > MAX_PAGE:
            return _refused(["prices"], None, f"At most {MAX_PAGE} prices per call.")
        errors: list[tuple[list[str], str | None, str]] = []
        changes: dict[int, tuple[str, str | None]] = {}
        for n, entry in enumerate(prices):
            path = ["prices", str(n)]
            vid = parse_gid(entry.get("variantId"), "ProductVariant")
            if vid is None or vid not in self.shop.variants:
                errors.append(
                    ([*path, "variantId"], "VARIANT_NOT_FOUND", "Variant ID does not exist.")
                )
                continue
            price, compare = entry["price"], entry.get("compareAtPrice")
            if any(
                m is not None and m["currencyCode"] != row["currency"] for m in (price, compare)
            ):
                errors.append(
                    (
                        [*path, "price", "currencyCode"],
                        "PRICE_LIST_CURRENCY_MISMATCH",
                        "Price currency must match the price list currency.",
                    )
                )
                continue
            amount = money(price["amount"])
            was = None if compare is None else money(compare["amount"])
            if amount is None or (compare is not None and was is None):
                errors.append(([*path, "price", "amount"], None, "Price must be 0 or greater."))
                continue
            changes[vid] = (amount, was)
        if errors:  # all or nothing, like Shopify
            return {"prices": None, "userErrors": _errors(errors)}
        row["prices"].update(changes)
        return {
            "prices": [self._price(row, (vid, changes[vid])) for vid in changes],
            "userErrors": [],
        }


def _by_id(row: dict[str, Any]) -> Any:
    return row["id"]


def _errors(errors: Sequence[tuple[list[str], str | None, str]]) -> list[View]:
    return [{"field": f, "code": c, "message": m} for f, c, m in errors]


def _refused(field: list[str], code: str | None, message: str) -> View:
    return {"prices": None, "userErrors": _errors([(field, code, message)])}
