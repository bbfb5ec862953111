"""What Oscar has no field for, kept in a text attribute of our own so read-back hashes match.

One Oscar product holds one back-office variant. Oscar stores its title (the product's), slug,
visibility, SKU and price, but has nowhere to put the variant's own title, options, weight,
position, image or RRP, nor the product's restock date and custom fields. Those travel as
JSON in the product attribute ``syncwright_extra`` (type text) of the product class the
connector writes to; it must exist there (Dashboard > Catalogue > Product types). Reading back
restores them; a product without a value (made in Oscar, or written before this existed)
reads with the defaults and is rewritten once by verification. Oscar drops an attribute its
class lacks without a word, so the catalogue refuses a write whose answer lacks it (``held``).
Unreadable content is a PayloadError, as for Shopify's metafield.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import Product, Variant

CODE = "syncwright_extra"


def encode(product: Product, variant: Variant) -> str:
    """The JSON text kept on the Oscar product of this variant (sorted keys, compact)."""
    data: dict[str, Any] = {
        "title": variant.title,
        "weight_grams": variant.weight_grams,
        "position": variant.position,
        "image_url": variant.image_url,
        "options": dict(variant.options),
        "rrp": None if variant.rrp is None else str(variant.rrp),
        "restock_date": None if product.restock_date is None else product.restock_date.isoformat(),
        "custom": dict(product.custom),
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def attribute(value: str) -> dict[str, Any]:
    """The attribute entry of a product body. django-oscar-api types it by the product class
    named in the same body, so a PATCH carrying it must name the class too."""
    return {"code": CODE, "value": value}


def held(row: dict[str, Any]) -> bool:
    """Whether Oscar's answer to a write carries the attribute (it drops unknown ones)."""
    attributes = row.get("attributes")
    return isinstance(attributes, list) and any(
        isinstance(item, dict) and item.get("code") == CODE for item in attributes
    )


def missing(product_class: object) -> str:
    return (
        f"Oscar product class {product_class!r} has no attribute {CODE!r}, so the variant's "
        "title, options and weight cannot be kept; add it (type Text) under Dashboard > "
        "Catalogue > Product types"
    )


def decode(row: dict[str, Any], what: str, system: str) -> dict[str, Any]:
    """The kept fields of an Oscar product as read: {} when it has no such attribute."""
    raw = None
    attributes = row.get("attributes")
    if isinstance(attributes, list):
        for item in attributes:
            if isinstance(item, dict) and item.get("code") == CODE:
                raw = item.get("value")
    if raw is None or raw == "":
        return {}
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise PayloadError(f"{what}: attribute {CODE} is not a JSON object", system=system)
    return data


def variant_fields(data: dict[str, Any], what: str, system: str) -> dict[str, Any]:
    """Variant keyword arguments from decoded data (only those present)."""
    out: dict[str, Any] = {}
    if isinstance(data.get("title"), str):
        out["title"] = data["title"]
    weight = data.get("weight_grams")
    if isinstance(weight, int) and not isinstance(weight, bool):
        out["weight_grams"] = weight
    position = data.get("position")
    if isinstance(position, int) and not isinstance(position, bool):
        out["position"] = position
    if isinstance(data.get("image_url"), str):
        out["image_url"] = data["image_url"]
    options = data.get("options")
    if isinstance(options, dict):
        out["options"] = {str(k): str(v) for k, v in options.items()}
    rrp = data.get("rrp")
    if isinstance(rrp, str):
        out["rrp"] = _decimal(rrp, what, system)
    return out


def product_fields(data: dict[str, Any], what: str, system: str) -> dict[str, Any]:
    """Product keyword arguments from decoded data (only those present)."""
    out: dict[str, Any] = {}
    restock = data.get("restock_date")
    if isinstance(restock, str):
        try:
            out["restock_date"] = date.fromisoformat(restock)
        except ValueError as exc:
            raise PayloadError(
                f"{what}: restock_date {restock!r} is not a date", system=system
            ) from exc
    custom = data.get("custom")
    if isinstance(custom, dict):
        out["custom"] = {str(k): str(v) for k, v in custom.items()}
    return out


def _decimal(raw: str, what: str, system: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise PayloadError(f"{what}: rrp {raw!r} is not a decimal", system=system)
    return value
