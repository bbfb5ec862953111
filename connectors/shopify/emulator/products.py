"""productSet in the emulator: create or replace a product with its options and variants.

As on Shopify, list fields are replaced wholesale: variants not in the input are deleted (and
their inventory items with them); a variant is kept (same id, same inventory item) when its SKU,
else its option values, match. Refusals come back as ProductSetUserError entries.
"""

from __future__ import annotations

import re
from typing import Any

from syncwright.connectors.shopify.emulator.store import Shop, now

HANDLE = re.compile(r"^[a-z0-9][a-z0-9\-_]*$")
Error = dict[str, Any]


def apply_product_set(
    shop: Shop, data: dict[str, Any], existing: dict[str, Any] | None, identifier: Any
) -> tuple[dict[str, Any] | None, list[Error]]:
    errors = _check(shop, data, existing)
    if errors:
        return None, errors
    stamp = now()
    if existing is None:
        pid = shop.next_id()
        existing = {"id": pid, "created_at": stamp, "variants": [], "metafields": {}}
        shop.products[pid] = existing
    product = existing
    product["title"] = data.get("title", product.get("title"))
    product["handle"] = data.get("handle") or product.get("handle") or _handle(product["title"])
    product["status"] = data.get("status") or product.get("status") or "ACTIVE"
    product["files"] = list(data.get("files") or [])
    for field in data.get("metafields") or []:
        product["metafields"][(field["namespace"], field["key"])] = {
            "value": field["value"],
            "type": field.get("type") or "single_line_text_field",
        }
    custom = identifier.get("customId") if isinstance(identifier, dict) else None
    if isinstance(custom, dict):  # the identifier's value is the product's metafield
        product["metafields"][(custom["namespace"], custom["key"])] = {
            "value": custom["value"],
            "type": "single_line_text_field",
        }
    if "variants" in data:
        _replace_variants(shop, product, data["variants"] or [])
    product["updated_at"] = stamp
    shop.emit("products/update", shop.product_payload(product))
    return product, []


def _check(shop: Shop, data: dict[str, Any], existing: dict[str, Any] | None) -> list[Error]:
    errors: list[Error] = []
    if existing is None and not data.get("title"):
        errors.append(_error(["input", "title"], "Title can't be blank", "MISSING_FIELD_REQUIRED"))
    handle = data.get("handle")
    if handle is not None:
        if not HANDLE.match(handle):
            errors.append(_error(["input", "handle"], "Handle is invalid", "INVALID_INPUT"))
        other = shop.product_by_handle(handle)
        if other is not None and (existing is None or other["id"] != existing["id"]):
            errors.append(
                _error(["input", "handle"], "Handle has already been taken", "HANDLE_NOT_UNIQUE")
            )
    options = {
        o.get("name"): {v.get("name") for v in o.get("values") or []}
        for o in data.get("productOptions") or []
    }
    if len(options) > 3:
        errors.append(
            _error(
                ["input", "productOptions"],
                "Products can have at most 3 options",
                "OPTIONS_OVER_LIMIT",
            )
        )
    seen: set[tuple[tuple[str, str], ...]] = set()
    for n, variant in enumerate(data.get("variants") or []):
        path = ["input", "variants", str(n)]
        chosen = tuple(
            sorted(
                (v.get("optionName") or "", v.get("name") or "")
                for v in variant.get("optionValues") or []
            )
        )
        for name, value in chosen:
            if name not in options or value not in options[name]:
                errors.append(
                    _error(
                        [*path, "optionValues"],
                        f"Option value {value!r} of {name!r} is not in productOptions",
                        "OPTION_VALUE_DOES_NOT_EXIST",
                    )
                )
        if chosen in seen:
            errors.append(
                _error(
                    path,
                    "The variant already exists with these option values",
                    "DUPLICATED_OPTION_VALUE",
                )
            )
        seen.add(chosen)
        for money in ("price", "compareAtPrice"):
            value = variant.get(money)
            if value is not None and not _is_amount(value):
                errors.append(
                    _error(
                        [*path, money],
                        f"{money} must be a decimal of at least 0",
                        "INVALID_VARIANT",
                    )
                )
        if len(variant.get("sku") or "") > 255:
            errors.append(
                _error(
                    [*path, "sku"], "SKU is too long (maximum is 255 characters)", "INVALID_VARIANT"
                )
            )
    if len(data.get("variants") or []) > 2048:
        errors.append(_error(["input", "variants"], "Too many variants", "VARIANTS_OVER_LIMIT"))
    return errors


def _replace_variants(shop: Shop, product: dict[str, Any], wanted: list[dict[str, Any]]) -> None:
    old = {shop.variants[v]["sku"] or f"#{v}": shop.variants[v] for v in product["variants"]}
    keep: list[int] = []
    for n, data in enumerate(wanted):
        sku = data.get("sku")
        options = [
            (v.get("optionName") or "", v.get("name") or "") for v in data.get("optionValues") or []
        ]
        variant = old.pop(sku, None) if sku else None
        if variant is None:
            vid = shop.next_id()
            variant = {"id": vid, "product": product["id"]}
            variant["item"] = shop.new_item(sku, vid)
            shop.variants[vid] = variant
        variant.update(
            sku=sku,
            title=" / ".join(value for _, value in options) or "Default Title",
            position=data.get("position") or n + 1,
            price=data.get("price") or variant.get("price") or "0.00",
            compareAtPrice=data.get("compareAtPrice"),
            options=options,
            image=(data.get("file") or {}).get("originalSource"),
        )
        item = shop.items[variant["item"]]
        item["sku"] = sku
        measurement = (data.get("inventoryItem") or {}).get("measurement") or {}
        if measurement.get("weight"):
            item["weight"] = dict(measurement["weight"])
        keep.append(variant["id"])
    for gone in old.values():
        shop.variants.pop(gone["id"], None)
        shop.items.pop(gone["item"], None)
    product["variants"] = keep


def _is_amount(value: Any) -> bool:
    try:
        return float(str(value)) >= 0
    except ValueError:
        return False


def _handle(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"


def _error(field: list[str], message: str, code: str) -> Error:
    return {"field": field, "message": message, "code": code}
