"""Whole pages of back-office products and stock rows, read from their bytes in two steps.

A full sync reads these by the hundred thousand. pydantic checks a page's JSON against the strict
wire shapes below as it parses it (``TypeAdapter.validate_json``), and the canonical records of
the whole page are then validated in one call. A page that does not fit (a missing key, a value
of another type, a bad date, amount or change token, a body that is not JSON) gives None: the
caller then maps it item by item with the checked mapping in products.py, which accepts exactly
what is valid and names the problem otherwise. So a page gives the same records either way, and
a bad item the same error (tests/connectors/sandbox/test_wire_pages.py holds both to that).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NotRequired, TypeVar

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from Python 3.12

from syncwright.connectors.model import Product, StockLevel
from syncwright.connectors.sandbox.timestamps import token_to_datetime

R = TypeVar("R")
#: A page's items as (canonical record, change token, id), and the page's ``next`` object
#: (None: the last page).
Fitted = tuple[list[tuple[R, str, int]], dict[str, Any] | None]

#: What a page that does not fit raises on the way; all mean "use the checked mapping".
_UNUSUAL = (ValidationError, ValueError, InvalidOperation)


class _Variant(TypedDict):
    id: int
    sku: NotRequired[str | None]
    title: str
    weight_grams: NotRequired[int | None]
    position: int
    image_url: NotRequired[str | None]
    options: NotRequired[dict[str, str] | None]
    price: NotRequired[str | None]
    rrp: NotRequired[str | None]


class _Product(TypedDict):
    id: int
    modified_at: str
    status: Literal["live", "discontinued"]
    title: str
    handle: str
    deleted: NotRequired[bool]
    variants: list[_Variant]
    restock_date: NotRequired[str | None]
    custom: NotRequired[dict[str, str] | None]


class _StockRow(TypedDict):
    id: int
    modified_at: str
    sku: str
    location: str
    quantity: int
    variant_id: int


class _ProductPage(TypedDict):
    items: list[_Product]
    next: NotRequired[dict[str, Any] | None]


class _StockPage(TypedDict):
    items: list[_StockRow]
    next: NotRequired[dict[str, Any] | None]


_PRODUCT_PAGE = TypeAdapter(_ProductPage)
_STOCK_PAGE = TypeAdapter(_StockPage)
_PRODUCTS = TypeAdapter(list[Product])
_LEVELS = TypeAdapter(list[StockLevel])


def erp_products(raw: bytes) -> Fitted[Product] | None:
    """A page of back-office products, or None when it does not fit the usual shape."""
    return _read(raw, _PRODUCT_PAGE, _product, _PRODUCTS)


def erp_stock(raw: bytes) -> Fitted[StockLevel] | None:
    """A page of back-office stock rows, or None when it does not fit the usual shape."""
    return _read(raw, _STOCK_PAGE, _level, _LEVELS)


def _read(
    raw: bytes,
    shape: TypeAdapter[Any],
    fields: Callable[[Any], dict[str, Any]],
    records: TypeAdapter[list[R]],
) -> Fitted[R] | None:
    """The page's items checked against ``shape``, mapped to canonical ``fields`` and
    validated as ``records`` all at once."""
    try:
        page = shape.validate_json(raw, strict=True)
        items = page["items"]
        built = records.validate_python([fields(item) for item in items])
    except _UNUSUAL:
        return None
    keyed = [(r, item["modified_at"], item["id"]) for r, item in zip(built, items, strict=True)]
    return keyed, page.get("next")


def _product(item: _Product) -> dict[str, Any]:
    restock = item.get("restock_date")
    return {
        "external_id": str(item["id"]),
        "title": item["title"],
        "handle": item["handle"],
        "status": "discontinued" if item.get("deleted") else item["status"],
        "variants": [_variant(variant) for variant in item["variants"]],
        "restock_date": None if restock is None else date.fromisoformat(restock),
        "custom": item.get("custom") or {},
        "modified_at": token_to_datetime(item["modified_at"]),
    }


def _variant(variant: _Variant) -> dict[str, Any]:
    return {
        "external_id": str(variant["id"]),
        "sku": variant.get("sku"),
        "title": variant["title"],
        "weight_grams": variant.get("weight_grams"),
        "position": variant["position"],
        "image_url": variant.get("image_url"),
        "options": variant.get("options") or {},
        "price": _amount(variant.get("price")),
        "rrp": _amount(variant.get("rrp")),
    }


def _level(row: _StockRow) -> dict[str, Any]:
    return {
        "sku": row["sku"],
        "location": row["location"],
        "quantity": row["quantity"],
        "variant_external_id": str(row["variant_id"]),
        "modified_at": token_to_datetime(row["modified_at"]),
    }


def _amount(text: str | None) -> Decimal | None:
    if text is None:
        return None
    amount = Decimal(text)
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {text!r}")
    return amount
