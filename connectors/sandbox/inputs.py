"""Checked request fields for the customer, order and settings endpoints of both sandboxes.

Every field a server cannot accept raises HttpError 422 naming the field, the way a real
platform's validation answers; the business rules (a well-formed e-mail, a non-empty first
address line) apply where ``strict`` is true, and admin writes may skip them to plant the
legacy data real systems carry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from syncwright.connectors.sandbox.timestamps import parse_token
from syncwright.connectors.sandbox.web import HttpError

Json = dict[str, Any]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
ADDRESS_FIELDS = ("line1", "line2", "city", "postcode", "country")
ORDER_STATUSES = ("open", "cancelled", "closed")


def invalid(message: str) -> HttpError:
    return HttpError(422, message)


def text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise invalid(f"'{key}' must be a string")
    return value


def opt_text(value: Any, key: str) -> str | None:
    return None if value is None else text(value, key)


def flag(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(f"'{key}' must be true or false")
    return value


def decimal(value: Any, key: str, *, minimum: Decimal | None = None) -> str:
    """A decimal given as a string (or an integer), returned as its string form."""
    try:
        amount = Decimal(value) if type(value) in (str, int) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise invalid(f"'{key}' must be a decimal string such as \"19.99\"")
    if minimum is not None and amount < minimum:
        raise invalid(f"'{key}' must be at least {minimum}")
    return str(amount)


def email(value: Any, *, strict: bool) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise invalid("e-mail is required")
    address = text(value, "email").strip()
    if strict and not EMAIL.match(address):
        raise invalid(f"e-mail {address!r} is not a well-formed address")
    return address


def address(value: Any, *, strict: bool, key: str = "address") -> str | None:
    """An address object as stored JSON text (all five fields), or None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(f"'{key}' must be an object or null")
    unknown = sorted(set(value) - set(ADDRESS_FIELDS))
    if unknown:
        raise invalid(f"'{key}' has unknown fields {unknown}; known: {list(ADDRESS_FIELDS)}")
    fields = {name: text(value.get(name, ""), f"{key}.{name}") for name in ADDRESS_FIELDS}
    if strict and not fields["line1"].strip():
        raise invalid("address line 1 is empty")
    return json.dumps(fields, sort_keys=True)


def currency(value: Any) -> str:
    if not isinstance(value, str) or not CURRENCY.match(value):
        raise invalid("'currency' must be a three-letter ISO 4217 code such as \"EUR\"")
    return value


def timestamp(value: Any, key: str) -> str:
    try:
        return parse_token(text(value, key))
    except ValueError:
        raise invalid(f"'{key}' must be an ISO 8601 time") from None


def customer(body: Json, *, strict: bool, partial: bool, parent: Callable[[Any], Any]) -> Json:
    """Customer columns from a request body; ``parent`` checks this system's parent id form."""
    columns: Json = {}
    if not partial or "email" in body:
        columns["email"] = email(body.get("email"), strict=strict)
    for key in ("first_name", "last_name"):
        if not partial or key in body:
            columns[key] = text(body.get(key, ""), key)
    for key, column in (("company", "company"), ("group", "group_name")):
        if key in body:
            columns[column] = opt_text(body[key], key) or None
    if "accounting_id" in body:
        columns["accounting_id"] = opt_text(body["accounting_id"], "accounting_id") or None
    if "price_lists" in body:
        lists = body["price_lists"]
        if not isinstance(lists, list) or not all(isinstance(name, str) for name in lists):
            raise invalid("'price_lists' must be a list of names")
        columns["price_lists"] = json.dumps(lists)
    if body.get("discount_percent") is not None:
        percent = decimal(body["discount_percent"], "discount_percent", minimum=Decimal(0))
        if Decimal(percent) > 100:
            raise invalid("'discount_percent' must be at most 100")
        columns["discount_percent"] = percent
    elif "discount_percent" in body:
        columns["discount_percent"] = None
    if "pays_on_account" in body:
        columns["pays_on_account"] = int(flag(body["pays_on_account"], "pays_on_account"))
    if "parent_id" in body:
        columns["parent_id"] = None if body["parent_id"] is None else parent(body["parent_id"])
    if "address" in body:
        columns["address"] = address(body["address"], strict=strict)
    return columns


def order_lines(value: Any, *, priced: bool) -> list[Json]:
    """Order lines ``{sku, title, quantity, unit_price}``; ``priced`` requires the price."""
    if not isinstance(value, list) or not value:
        raise invalid("'lines' must be a non-empty list")
    lines = []
    for number, raw in enumerate(value, 1):
        if not isinstance(raw, dict):
            raise invalid(f"line {number} must be an object")
        sku = opt_text(raw.get("sku"), f"line {number} sku")
        quantity = raw.get("quantity")
        if type(quantity) is not int or quantity < 1:
            raise invalid(f"line {number}: 'quantity' must be a whole number, 1 or more")
        price = raw.get("unit_price")
        if price is None and priced:
            raise invalid(f"line {number}: 'unit_price' is required")
        lines.append(
            {
                "sku": sku or None,
                "title": text(raw.get("title", ""), f"line {number} title"),
                "quantity": quantity,
                "unit_price": None if price is None else decimal(price, f"line {number} price"),
            }
        )
    return lines


def shipment_lines(value: Any) -> list[list[Any]]:
    """``[[sku, quantity], ...]`` (``{"sku", "quantity"}`` objects are accepted too)."""
    if not isinstance(value, list):
        raise invalid("'lines' must be a list of [sku, quantity] pairs")
    pairs = []
    for raw in value:
        pair = [raw.get("sku"), raw.get("quantity")] if isinstance(raw, dict) else raw
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not isinstance(pair[0], str)
            or type(pair[1]) is not int
            or pair[1] < 1
        ):
            raise invalid("each shipment line must be [sku, quantity] with a quantity of 1 or more")
        pairs.append(pair)
    return pairs


def shipment_details(body: Json) -> Json:
    """A shipment's ``carrier`` and ``tracking`` (default "") and ``shipped_at`` (or None)."""
    return {
        "carrier": text(body.get("carrier", ""), "carrier"),
        "tracking": text(body.get("tracking", ""), "tracking"),
        "shipped_at": None
        if body.get("shipped_at") is None
        else timestamp(body["shipped_at"], "shipped_at"),
    }


def status(value: Any) -> str:
    if value not in ORDER_STATUSES:
        raise invalid(f"'status' must be one of {list(ORDER_STATUSES)}")
    return str(value)
