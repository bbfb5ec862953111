"""Fast paths for the two wire shapes a full sync reads by the hundred thousand: back-office
products and stock rows.

Each function checks the usual, well-formed item with plain type tests and builds the canonical
record directly: every value's exact type is checked here, so the records skip pydantic's
validation (connectors/trusted.py). Anything unusual (a missing key, a wrong type, a bad date
or amount) raises :class:`Unusual`, and the caller hands the item to the field-by-field
mapping in wire.py, which accepts exactly what is valid and names the problem otherwise. So a
well-formed item gives the same record either way, and a bad one the same error.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from syncwright.connectors.model import Product, StockLevel, Variant
from syncwright.connectors.sandbox.timestamps import token_to_datetime
from syncwright.connectors.trusted import trusted


class Unusual(Exception):
    """The item is not the usual shape: let the checked mapping decide."""


#: What a fast path may raise on odd input; all mean "use the checked mapping".
FALL_BACK = (Unusual, KeyError, ValueError, TypeError, InvalidOperation, ValidationError)


def _text(value: Any) -> str:
    if type(value) is not str:
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
    sku, location, quantity = data["sku"], data["location"], data["quantity"]
    variant, token, row_id = data["variant_id"], data["modified_at"], data["id"]
    if (
        type(sku) is not str
        or type(location) is not str
        or type(quantity) is not int
        or type(variant) is not int
        or type(token) is not str
        or type(row_id) is not int
    ):
        raise Unusual
    level = trusted(
        StockLevel,
        sku=sku,
        location=location,
        quantity=quantity,
        variant_external_id=str(variant),
        modified_at=token_to_datetime(token),
    )
    return level, token, row_id


def _variant(data: Any) -> Variant:
    if type(data) is not dict:
        raise Unusual
    get = data.get
    variant_id, sku, title = data["id"], get("sku"), data["title"]
    weight, position, image = get("weight_grams"), data["position"], get("image_url")
    if (
        type(variant_id) is not int
        or (sku is not None and type(sku) is not str)
        or type(title) is not str
        or (weight is not None and type(weight) is not int)
        or type(position) is not int
        or (image is not None and type(image) is not str)
    ):
        raise Unusual
    return trusted(
        Variant,
        external_id=str(variant_id),
        sku=sku,
        title=title,
        weight_grams=weight,
        position=position,
        image_url=image,
        options=_str_map(get("options")),
        price=_opt_decimal(get("price")),
        rrp=_opt_decimal(get("rrp")),
    )


def erp_product(data: Any) -> tuple[Product, str, int]:
    if type(data) is not dict:
        raise Unusual
    get = data.get
    product_id, token, status = data["id"], data["modified_at"], data["status"]
    title, handle, variants = data["title"], data["handle"], data["variants"]
    deleted = data["deleted"] if "deleted" in data else False
    restock = get("restock_date")
    if (
        type(product_id) is not int
        or type(token) is not str
        or status not in ("live", "discontinued")
        or type(status) is not str
        or type(title) is not str
        or type(handle) is not str
        or type(deleted) is not bool
        or type(variants) is not list
        or (restock is not None and type(restock) is not str)
    ):
        raise Unusual
    product = trusted(
        Product,
        external_id=str(product_id),
        title=title,
        handle=handle,
        status="discontinued" if deleted else status,
        variants=tuple([_variant(raw) for raw in variants]),
        restock_date=None if restock is None else date.fromisoformat(restock),
        custom=_str_map(get("custom")),
        modified_at=token_to_datetime(token),
    )
    return product, token, product_id
