"""Fast paths for the two wire shapes a full sync reads by the hundred thousand: back-office
products and stock rows.

Each function checks the usual, well-formed item with plain type tests and builds the canonical
record directly. Anything unusual (a missing key, a wrong type, a bad date or amount, a record
pydantic refuses) raises :class:`Unusual`, and the caller hands the item to the field-by-field
mapping in wire.py, which accepts exactly what is valid and names the problem otherwise. So a
well-formed item gives the same record either way, and a bad one the same error.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from connectors.model import Product, StockLevel, Variant
from connectors.sandbox.timestamps import token_to_datetime


class Unusual(Exception):
    """The item is not the usual shape: let the checked mapping decide."""


#: What a fast path may raise on odd input; all mean "use the checked mapping".
FALL_BACK = (Unusual, KeyError, ValueError, TypeError, InvalidOperation, ValidationError)


def _text(value: Any) -> str:
    if type(value) is not str:
        raise Unusual
    return value


def _opt_text(value: Any) -> str | None:
    if value is not None and type(value) is not str:
        raise Unusual
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise Unusual
    return value


def _opt_int(value: Any) -> int | None:
    if value is not None and type(value) is not int:
        raise Unusual
    return value


def _str_map(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if type(value) is not dict or not all(type(v) is str for v in value.values()):
        raise Unusual
    return dict(value)


def _opt_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    amount = Decimal(_text(value))  # InvalidOperation: let the checked path name it
    if not amount.is_finite():
        raise Unusual
    return amount


def erp_stock(data: Any) -> tuple[StockLevel, str, int]:
    if type(data) is not dict:
        raise Unusual
    token = _text(data["modified_at"])
    level = StockLevel(
        sku=_text(data["sku"]),
        location=_text(data["location"]),
        quantity=_int(data["quantity"]),
        variant_external_id=str(_int(data["variant_id"])),
        modified_at=token_to_datetime(token),
    )
    return level, token, _int(data["id"])


def _variant(data: Any) -> Variant:
    if type(data) is not dict:
        raise Unusual
    get = data.get
    return Variant(
        external_id=str(_int(data["id"])),
        sku=_opt_text(get("sku")),
        title=_text(data["title"]),
        weight_grams=_opt_int(get("weight_grams")),
        position=_int(data["position"]),
        image_url=_opt_text(get("image_url")),
        options=_str_map(get("options")),
        price=_opt_decimal(get("price")),
        rrp=_opt_decimal(get("rrp")),
    )


def erp_product(data: Any) -> tuple[Product, str, int]:
    if type(data) is not dict:
        raise Unusual
    get = data.get
    product_id = _int(data["id"])
    token = _text(data["modified_at"])
    status = _text(data["status"])
    if status not in ("live", "discontinued"):
        raise Unusual
    deleted = data["deleted"] if "deleted" in data else False
    if type(deleted) is not bool:
        raise Unusual
    variants = data["variants"]
    if type(variants) is not list:
        raise Unusual
    restock = _opt_text(get("restock_date"))
    product = Product(
        external_id=str(product_id),
        title=_text(data["title"]),
        handle=_text(data["handle"]),
        status="discontinued" if deleted else status,
        variants=tuple(_variant(raw) for raw in variants),
        restock_date=None if restock is None else date.fromisoformat(restock),
        custom=_str_map(get("custom")),
        modified_at=token_to_datetime(token),
    )
    return product, token, product_id
