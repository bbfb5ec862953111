"""The emulator's inventory mutations: ``inventorySetQuantities`` (compare-and-set, idempotency
keys from 2026-04) and ``inventoryActivate``, with Shopify's user-error codes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, StringValueNode, VariableNode

from syncwright.connectors.shopify.emulator.store import Shop
from syncwright.connectors.shopify.emulator.views import MAX_PAGE, View, Views, parse_gid

REASONS = {
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "other",
    "received",
    "restock",
    "safety_stock",
    "shrinkage",
}


class InventoryApi:
    def __init__(self, shop: Shop, views: Views, version: str) -> None:
        self.shop = shop
        self.views = views
        self.version = version

    def mutations(self) -> dict[str, Any]:
        return {
            "inventorySetQuantities": self.inventory_set,
            "inventoryActivate": self.inventory_activate,
        }

    def inventory_set(self, info: GraphQLResolveInfo, input: dict[str, Any]) -> View:
        key = _idempotency_key(info)
        if self.version >= "2026-04" and key is None:
            raise GraphQLError("The @idempotent directive is required for this mutation.")
        if key is not None and not key.strip():
            raise GraphQLError("Idempotency key must not be blank.")
        digest = hashlib.sha256(json.dumps(input, sort_keys=True, default=str).encode()).hexdigest()
        if key is not None and key in self.shop.idempotency:
            seen, answer = self.shop.idempotency[key]
            if seen != digest:
                return _inv_errors(
                    [
                        (
                            ["input"],
                            "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                            "The idempotency key was used with different parameters.",
                        )
                    ]
                )
            return dict(answer)
        answer = self._inventory_set(input)
        if key is not None:
            self.shop.idempotency[key] = (digest, answer)
        return answer

    def _inventory_set(self, input: dict[str, Any]) -> View:
        shop = self.shop
        errors: list[tuple[list[Any], str, str]] = []
        if input.get("name") not in ("available", "on_hand"):
            errors.append(
                (
                    ["input", "name"],
                    "INVALID_NAME",
                    "The quantity name must be available or on_hand.",
                )
            )
        if input.get("reason") not in REASONS:
            errors.append((["input", "reason"], "INVALID_REASON", "The reason is not valid."))
        rows = input.get("quantities") or []
        if len(rows) > MAX_PAGE:
            errors.append(
                (
                    ["input", "quantities"],
                    "INVALID_QUANTITY_TOO_HIGH",
                    "At most 250 quantities per call.",
                )
            )
        new_api = self.version >= "2026-01"
        ignore = bool(input.get("ignoreCompareQuantity"))
        changes = []
        for n, row in enumerate(rows):
            path = ["input", "quantities", str(n)]
            item = shop.items.get(parse_gid(row.get("inventoryItemId"), "InventoryItem") or -1)
            lid = parse_gid(row.get("locationId"), "Location")
            if item is None:
                errors.append(
                    (
                        [*path, "inventoryItemId"],
                        "INVALID_INVENTORY_ITEM",
                        "The inventory item could not be found.",
                    )
                )
                continue
            if lid not in shop.locations:
                errors.append(
                    ([*path, "locationId"], "INVALID_LOCATION", "The location could not be found.")
                )
                continue
            if lid not in item["levels"]:
                errors.append(
                    (
                        [*path, "locationId"],
                        "ITEM_NOT_STOCKED_AT_LOCATION",
                        "The item is not stocked at the location.",
                    )
                )
                continue
            quantity = row.get("quantity")
            if not isinstance(quantity, int) or quantity < -1_000_000_000:
                errors.append(
                    ([*path, "quantity"], "INVALID_QUANTITY_TOO_LOW", "The quantity is too low.")
                )
                continue
            if quantity > 1_000_000_000:
                errors.append(
                    ([*path, "quantity"], "INVALID_QUANTITY_TOO_HIGH", "The quantity is too high.")
                )
                continue
            current = item["levels"][lid]
            change_from = row.get("changeFromQuantity")
            compare = row.get("compareQuantity")
            if new_api and change_from is not None and change_from != current:
                errors.append(
                    (
                        [*path, "changeFromQuantity"],
                        "CHANGE_FROM_QUANTITY_STALE",
                        "The changeFromQuantity does not match the current quantity.",
                    )
                )
                continue
            if not new_api and not ignore and compare is None:
                errors.append(
                    (
                        [*path, "compareQuantity"],
                        "COMPARE_QUANTITY_REQUIRED",
                        "compareQuantity is required unless ignoreCompareQuantity is true.",
                    )
                )
                continue
            if compare is not None and not ignore and compare != current:
                errors.append(
                    (
                        [*path, "compareQuantity"],
                        "COMPARE_QUANTITY_STALE",
                        "The compareQuantity does not match the current quantity.",
                    )
                )
                continue
            changes.append((item["id"], lid, quantity))
        if errors:  # all or nothing
            return _inv_errors(errors)
        for item_id, lid, quantity in changes:
            shop.set_available(item_id, lid, quantity)
        return {
            "inventoryAdjustmentGroup": {
                "id": f"gid://shopify/InventoryAdjustmentGroup/{shop.next_id()}"
            },
            "userErrors": [],
        }

    def inventory_activate(
        self, info: GraphQLResolveInfo, inventoryItemId: str, locationId: str, **a: Any
    ) -> View:
        item = self.shop.items.get(parse_gid(inventoryItemId, "InventoryItem") or -1)
        lid = parse_gid(locationId, "Location")
        if item is None or lid not in self.shop.locations:
            return {
                "inventoryLevel": None,
                "userErrors": [
                    {
                        "field": ["inventoryItemId"],
                        "message": "Inventory item or location not found",
                    }
                ],
            }
        item["levels"].setdefault(lid, int(a.get("available") or 0))
        return {"inventoryLevel": self.views.level(item, lid), "userErrors": []}


def _idempotency_key(info: GraphQLResolveInfo) -> str | None:
    for directive in info.field_nodes[0].directives:
        if directive.name.value != "idempotent":
            continue
        for arg in directive.arguments:
            if arg.name.value == "key":
                if isinstance(arg.value, StringValueNode):
                    return arg.value.value
                if isinstance(arg.value, VariableNode):
                    value = info.variable_values.get(arg.value.name.value)
                    return None if value is None else str(value)
    return None


def _inv_errors(errors: list[tuple[list[Any], str, str]]) -> View:
    return {
        "inventoryAdjustmentGroup": None,
        "userErrors": [{"field": f, "code": c, "message": m} for f, c, m in errors],
    }
