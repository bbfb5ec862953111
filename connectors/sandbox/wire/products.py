"""Strict mapping from the sandboxes' wire JSON to canonical records.

Anything that does not match the documented shape raises PayloadError naming the item and the
field, never KeyError or TypeError: a remote's bad answer must not crash the daemon. Whole pages
of back-office products and stock rows are read by pages.py first; this mapping decides the
pages that do not fit there.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import Product, StockLevel, Variant
from syncwright.connectors.sandbox.timestamps import token_to_datetime


class Obj:
    """One JSON object from a remote, read field by field with typed, named failures."""

    def __init__(self, data: Any, what: str, system: str | None) -> None:
        if not isinstance(data, dict):
            raise PayloadError(f"{what} is not a JSON object", system=system)
        self.data: dict[str, Any] = data
        self.what = what
        self.system = system

    def fail(self, key: str, expected: str) -> PayloadError:
        got = "missing" if key not in self.data else type(self.data[key]).__name__
        return PayloadError(
            f"{self.what}: '{key}' should be {expected}, got {got}", system=self.system
        )

    def _get(
        self, key: str, kind: type | tuple[type, ...], expected: str, *, optional: bool = False
    ) -> Any:
        value = self.data.get(key)
        if type(value) is kind:  # the common case, decided in one step (bool is not int here)
            return value
        if value is None and optional:
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(key, expected)
        return value

    def text(self, key: str) -> str:
        value: str = self._get(key, str, "a string")
        return value

    def opt_text(self, key: str) -> str | None:
        value: str | None = self._get(key, str, "a string or null", optional=True)
        return value

    def integer(self, key: str) -> int:
        value: int = self._get(key, int, "an integer")
        return value

    def opt_integer(self, key: str) -> int | None:
        value: int | None = self._get(key, int, "an integer or null", optional=True)
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        if key not in self.data:
            return default
        value: bool = self._get(key, bool, "true or false")
        return value

    def array(self, key: str) -> list[Any]:
        value: list[Any] = self._get(key, list, "a list")
        return value

    def obj(self, key: str) -> Obj:
        value = self._get(key, dict, "an object")
        return Obj(value, f"{self.what}.{key}", self.system)

    def opt_obj(self, key: str) -> Obj | None:
        value = self._get(key, dict, "an object or null", optional=True)
        return None if value is None else Obj(value, f"{self.what}.{key}", self.system)

    def str_map(self, key: str) -> dict[str, str]:
        value = self._get(key, dict, "an object of strings", optional=True) or {}
        if not all(isinstance(v, str) for v in value.values()):
            raise self.fail(key, "an object of strings")
        return dict(value)

    def opt_decimal(self, key: str) -> Decimal | None:
        raw = self._get(key, str, "a decimal string or null", optional=True)
        if raw is None:
            return None
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise self.fail(key, 'a decimal string such as "19.99"') from None
        if not amount.is_finite():
            raise self.fail(key, "a finite decimal")
        return amount

    def decimal(self, key: str) -> Decimal:
        if self.data.get(key) is None:
            raise self.fail(key, 'a decimal string such as "19.99"')
        amount = self.opt_decimal(key)
        assert amount is not None
        return amount

    def str_list(self, key: str) -> list[str]:
        value = self.array(key)
        if not all(isinstance(item, str) for item in value):
            raise self.fail(key, "a list of strings")
        return value

    def opt_time(self, key: str) -> datetime | None:
        return None if self.data.get(key) is None else self.token(key)[1]

    def opt_date(self, key: str) -> date | None:
        raw = self._get(key, str, "a YYYY-MM-DD date or null", optional=True)
        try:
            return None if raw is None else date.fromisoformat(raw)
        except ValueError:
            raise self.fail(key, "a YYYY-MM-DD date") from None

    def token(self, key: str) -> tuple[str, datetime]:
        """A change token as sent, and the time it means."""
        raw = self.text(key)
        try:
            return raw, token_to_datetime(raw)
        except ValueError:
            raise self.fail(key, "a time like 2026-11-22T12:00:05Z") from None


def build(what: str, system: str | None, model: Any, **fields: Any) -> Any:
    try:
        return model(**fields)
    except ValidationError as exc:
        raise PayloadError(
            f"{what} does not fit the canonical form: {exc.errors()[0]['msg']}", system=system
        ) from None


def erp_product(data: Any, system: str | None) -> tuple[Product, str, int]:
    """A back-office product as (canonical product, change token, id)."""
    obj = Obj(data, "product", system)
    product_id = obj.integer("id")
    obj.what = f"product {product_id}"
    token, modified = obj.token("modified_at")
    status = obj.text("status")
    if status not in ("live", "discontinued"):
        raise obj.fail("status", "'live' or 'discontinued'")
    variants = [
        _variant(Obj(raw, f"{obj.what} variant #{index}", system), "id")
        for index, raw in enumerate(obj.array("variants"))
    ]
    product = build(
        obj.what,
        system,
        Product,
        external_id=str(product_id),
        title=obj.text("title"),
        handle=obj.text("handle"),
        status="discontinued" if obj.flag("deleted") else status,
        variants=tuple(variants),
        restock_date=obj.opt_date("restock_date"),
        custom=obj.str_map("custom"),
        modified_at=modified,
    )
    return product, token, product_id


def erp_stock(data: Any, system: str | None) -> tuple[StockLevel, str, int]:
    """A back-office stock row as (canonical level, change token, row id)."""
    obj = Obj(data, "stock row", system)
    row_id = obj.integer("id")
    obj.what = f"stock row {row_id}"
    token, modified = obj.token("modified_at")
    level = build(
        obj.what,
        system,
        StockLevel,
        sku=obj.text("sku"),
        location=obj.text("location"),
        quantity=obj.integer("quantity"),
        variant_external_id=str(obj.integer("variant_id")),
        modified_at=modified,
    )
    return level, token, row_id


def shop_product(data: Any, system: str | None) -> Product:
    """A product as the shop holds it, in canonical form (the shop's own id dropped)."""
    obj = Obj(data, "shop product", system)
    obj.what = f"shop product {obj.text('external_id')}"
    variants = [
        _variant(Obj(raw, f"{obj.what} variant #{index}", system), "external_id")
        for index, raw in enumerate(obj.array("variants"))
    ]
    status = obj.text("status")
    if status not in ("live", "discontinued"):
        raise obj.fail("status", "'live' or 'discontinued'")
    result: Product = build(
        obj.what,
        system,
        Product,
        external_id=obj.text("external_id"),
        title=obj.text("title"),
        handle=obj.text("handle"),
        status=status,
        variants=tuple(variants),
        restock_date=obj.opt_date("restock_date"),
        custom=obj.str_map("custom"),
    )
    return result


def _variant(var: Obj, id_key: str) -> Variant:
    """A variant; the back office names its id ``id`` (an integer), the shop ``external_id``."""
    external_id = var.text(id_key) if id_key == "external_id" else str(var.integer(id_key))
    variant: Variant = build(
        var.what,
        var.system,
        Variant,
        external_id=external_id,
        sku=var.opt_text("sku"),
        title=var.text("title"),
        weight_grams=var.opt_integer("weight_grams"),
        position=var.integer("position"),
        image_url=var.opt_text("image_url"),
        options=var.str_map("options"),
        price=var.opt_decimal("price"),
        rrp=var.opt_decimal("rrp"),
    )
    return variant


def page_body(body: Any, what: str, system: str | None) -> tuple[list[Any], Obj | None]:
    """The ``items`` and ``next`` of a page answer."""
    obj = Obj(body, what, system)
    return obj.array("items"), obj.opt_obj("next")


def next_key(after: Obj | dict[str, Any], what: str, system: str | None) -> tuple[str, str]:
    """The (token, id) key a page's ``next`` object names: ``after_modified`` ("" in a
    listing, which pages by id alone) and ``after_id`` (a number or a public id)."""
    obj = after if isinstance(after, Obj) else Obj(after, f"{what}: next", system)
    token = obj.opt_text("after_modified")
    ident = obj.data.get("after_id")
    if isinstance(ident, bool) or not isinstance(ident, int | str) or ident == "":
        raise obj.fail("after_id", "an id")
    return (token or "", str(ident))
