"""Unleashed's wire format: request signatures, its date forms, and records to and from JSON.

- Signature: ``api-auth-signature`` = base64(HMAC-SHA256(API key, query string)), the query
  string exactly as sent, without ``?``; the path (and so the page number) is not signed, and
  a request without a query signs the empty string.
- Dates in bodies are ``/Date(<ms since epoch>)/`` (UTC); filters take ``YYYY-MM-DDTHH:MM:SS``
  in UTC with whole seconds.
- Change tokens are ISO 8601 UTC with milliseconds and a ``Z`` (fixed width, so they sort as
  text in time order).
- Products have no variants in Unleashed: a canonical product is one Unleashed product with
  one variant, both keyed by its ``Guid``; the SKU is its ``ProductCode``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import Address, Customer, Product, Variant

_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def sign(api_key: str, query: str) -> str:
    """The ``api-auth-signature`` of a request whose query string is ``query`` (no ``?``)."""
    digest = hmac.new(api_key.encode(), query.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def parse_date(value: Any) -> datetime | None:
    """A ``/Date(ms)/`` (or ISO 8601) body date as aware UTC; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    found = _DATE.match(value)
    if found:
        return EPOCH + timedelta(milliseconds=int(found.group(1)))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_date(when: datetime) -> str:
    """``when`` as a body date, ``/Date(ms)/``."""
    ms = (when.astimezone(UTC) - EPOCH) // timedelta(milliseconds=1)
    return f"/Date({ms})/"


def to_token(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def from_token(token: str) -> datetime:
    when = datetime.fromisoformat(token.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def since_filter(token: str) -> str:
    """The ``modifiedSince`` value that surely includes every item at ``token`` or later.

    The filter has whole seconds and its bound is not documented as inclusive, so it starts
    one second before the token's second; the caller drops what lies before its key."""
    when = from_token(token).replace(microsecond=0) - timedelta(seconds=1)
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def derived_guid(namespace: str, *parts: str) -> str:
    """A GUID that the same inputs always give: a retried create names the same record."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "unleashed:" + namespace + ":" + "|".join(parts)))


def decimal(value: Any) -> Decimal | None:
    """A number Unleashed sent as a JSON number or a decimal string."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return value.strip() if isinstance(value, str) else ""


def guid_of(row: Any, what: str, system: str) -> str:
    value = row.get("Guid") if isinstance(row, dict) else None
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{what} without a Guid", system=system)
    return value.lower()


def stamp_of(row: dict[str, Any], what: str, system: str) -> datetime:
    when = parse_date(row.get("LastModifiedOn"))
    if when is None:
        raise PayloadError(f"{what} without a readable LastModifiedOn", system=system)
    return when


def handle_for(code: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-") or "product"


def product_from(row: dict[str, Any], system: str) -> Product:
    """One Unleashed product as a canonical product with one variant."""
    guid = guid_of(row, "a product", system)
    code = text(row, "ProductCode")
    weight = decimal(row.get("Weight"))  # kilograms
    price = decimal(row.get("DefaultSellPrice"))
    group = row.get("ProductGroup")
    custom = {}
    if isinstance(group, dict) and text(group, "GroupName"):
        custom["group"] = text(group, "GroupName")
    title = text(row, "ProductDescription") or code
    return Product(
        external_id=guid,
        title=title,
        handle=handle_for(code),
        status="discontinued" if row.get("Obsolete") is True else "live",
        variants=(
            Variant(
                external_id=guid,
                sku=code or None,
                title=title,
                weight_grams=None if weight is None else int(weight * 1000),
                image_url=text(row, "ImageUrl") or None,
                price=None if price is None else price.quantize(Decimal("0.01")),
            ),
        ),
        custom=custom,
        modified_at=stamp_of(row, "a product", system),
    )


def product_body(product: Product, guid: str) -> dict[str, Any]:
    """The POST /Products/{guid} body of a product created at sale time (its first variant)."""
    variant = product.variants[0] if product.variants else None
    body: dict[str, Any] = {
        "Guid": guid,
        "ProductCode": (variant.sku if variant and variant.sku else product.handle),
        "ProductDescription": product.title,
        "IsSellable": True,
    }
    if variant is not None and variant.price is not None:
        body["DefaultSellPrice"] = float(variant.price)
    if variant is not None and variant.weight_grams is not None:
        body["Weight"] = variant.weight_grams / 1000
    return body


def customer_from(row: dict[str, Any], system: str) -> Customer:
    guid = guid_of(row, "a customer", system)
    addresses = row.get("Addresses")
    address = None
    if isinstance(addresses, list) and addresses and isinstance(addresses[0], dict):
        first = addresses[0]
        address = Address(
            line1=text(first, "StreetAddress"),
            line2=text(first, "StreetAddress2"),
            city=text(first, "City"),
            postcode=text(first, "PostalCode"),
            country=text(first, "Country")[:2].upper(),
        )
    discount = decimal(row.get("DiscountRate"))
    tier = text(row, "SellPriceTier")
    return Customer(
        external_id=guid,
        email=text(row, "Email") or None,
        first_name=text(row, "ContactFirstName"),
        last_name=text(row, "ContactLastName"),
        company=text(row, "CustomerName"),
        address=address,
        group=text(row, "CustomerType") or None,
        accounting_id=text(row, "CustomerCode") or None,
        price_lists=(tier,) if tier else (),
        discount_percent=None if discount is None else (discount * 100).normalize(),
        pays_on_account=text(row, "PaymentTerm") not in ("", "Cash"),
        modified_at=stamp_of(row, "a customer", system),
    )


def customer_body(customer: Customer, guid: str, code: str) -> dict[str, Any]:
    name = customer.company or " ".join(
        part for part in (customer.first_name, customer.last_name) if part
    )
    return {
        "Guid": guid,
        "CustomerCode": code,
        "CustomerName": name or customer.email or code,
        "Email": customer.email or "",
        "ContactFirstName": customer.first_name,
        "ContactLastName": customer.last_name,
    }
