"""Xero's JSON <-> canonical records, and Xero's dates.

Xero writes ``UpdatedDateUTC`` as ``"/Date(1551484292734+0000)/"`` (milliseconds since the epoch,
then an offset that does not move the instant) and some fields as ISO strings without a zone,
meaning UTC. ``If-Modified-Since`` takes ``YYYY-MM-DDTHH:MM:SS`` in UTC, to the second, and
includes records modified at or after it; change tokens keep the millisecond.

Mapped content:
- Item -> one-variant Product (Code = SKU, Name = title, SalesDetails.UnitPrice = price,
  Description kept in ``custom``); ``IsSold`` false -> discontinued. The item's QuantityOnHand
  (tracked items only) -> a StockLevel at the configured location.
- Contact -> Customer (EmailAddress, FirstName/LastName, Name as company when it is not the
  person's name, AccountNumber as accounting id, the first address, Discount).
- Order -> an ACCREC invoice naming the contact by ContactID only (never contact details:
  Xero would overwrite the contact with them), lines by ItemCode.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import Address, Customer, Order, Product, StockLevel, Variant

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
#: Longest Item Code and Name Xero accepts.
CODE_MAX = 30
NAME_MAX = 50


def parse_date(value: Any) -> datetime | None:
    """A Xero date (``/Date(ms+zzzz)/`` or ISO, UTC when it has no zone), or None."""
    if not isinstance(value, str) or not value:
        return None
    found = _MS_DATE.match(value)
    if found:
        return datetime.fromtimestamp(int(found.group(1)) / 1000, tz=UTC)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def ms_date(when: datetime) -> str:
    """``when`` the way Xero writes UpdatedDateUTC."""
    return f"/Date({int(when.timestamp() * 1000)}+0000)/"


def token(when: datetime) -> str:
    """A change token: ISO 8601 UTC to the millisecond."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def modified_since(since: str) -> str:
    """The If-Modified-Since value for an inclusive lower bound: UTC, down to the second."""
    when = parse_date(since)
    if when is None:
        raise ValueError(f"not a time: {since!r}")
    return when.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()


def _obj(value: Any, what: str, system: str | None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"a {what} is not a JSON object", system=system)
    return value


def _str(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else ""


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def item_key(raw: Any, system: str | None) -> tuple[Mapping[str, Any], datetime, str]:
    item = _obj(raw, "item", system)
    item_id = _str(item, "ItemID")
    updated = parse_date(item.get("UpdatedDateUTC"))
    if not item_id or updated is None:
        raise PayloadError("an item without ItemID or UpdatedDateUTC", system=system)
    return item, updated, item_id


def product(raw: Any, system: str | None) -> Product:
    item, updated, item_id = item_key(raw, system)
    code = _str(item, "Code")
    sales = item.get("SalesDetails")
    price = _decimal(sales.get("UnitPrice")) if isinstance(sales, Mapping) else None
    title = _str(item, "Name") or code
    custom = {"description": _str(item, "Description")} if _str(item, "Description") else {}
    return Product(
        external_id=item_id,
        title=title,
        handle=re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-") or item_id,
        status="live" if item.get("IsSold", True) is not False else "discontinued",
        variants=(Variant(external_id=item_id, sku=code or None, title=title, price=price),),
        custom=custom,
        modified_at=updated,
    )


def stock(raw: Any, location: str, system: str | None) -> StockLevel | None:
    """The item's quantity on hand; None for an item Xero does not track."""
    item, updated, item_id = item_key(raw, system)
    if item.get("IsTrackedAsInventory") is not True or not _str(item, "Code"):
        return None
    quantity = _decimal(item.get("QuantityOnHand")) or Decimal(0)
    return StockLevel(
        sku=_str(item, "Code"),
        location=location,
        quantity=int(quantity),
        variant_external_id=item_id,
        modified_at=updated,
    )


def contact_key(raw: Any, system: str | None) -> tuple[Mapping[str, Any], datetime, str]:
    contact = _obj(raw, "contact", system)
    contact_id = _str(contact, "ContactID")
    updated = parse_date(contact.get("UpdatedDateUTC"))
    if not contact_id or updated is None:
        raise PayloadError("a contact without ContactID or UpdatedDateUTC", system=system)
    return contact, updated, contact_id


def customer(raw: Any, system: str | None) -> Customer:
    contact, updated, contact_id = contact_key(raw, system)
    first, last = _str(contact, "FirstName"), _str(contact, "LastName")
    name = _str(contact, "Name")
    person = f"{first} {last}".strip()
    return Customer(
        external_id=contact_id,
        email=_str(contact, "EmailAddress") or None,
        first_name=first,
        last_name=last,
        company="" if name == person or name.startswith(f"{person} <") else name,
        address=_address(contact.get("Addresses")),
        accounting_id=_str(contact, "AccountNumber") or None,
        discount_percent=_decimal(contact.get("Discount")),
        modified_at=updated,
    )


def _address(addresses: Any) -> Address | None:
    if not isinstance(addresses, list):
        return None
    for raw in addresses:
        if isinstance(raw, Mapping) and _str(raw, "AddressLine1"):
            return Address(
                line1=_str(raw, "AddressLine1"),
                line2=_str(raw, "AddressLine2"),
                city=_str(raw, "City"),
                postcode=_str(raw, "PostalCode"),
                country=_str(raw, "Country"),
            )
    return None


def contact_name(customer: Customer) -> str:
    """A contact name no other customer can have: the person or company, then the e-mail
    (or the channel's id), as Xero refuses a second contact of the same name."""
    shown = customer.company or f"{customer.first_name} {customer.last_name}".strip() or "Customer"
    tag = customer.email or f"#{customer.external_id}"
    return f"{shown} <{tag}>"[:255]


def contact_body(customer: Customer) -> dict[str, Any]:
    body: dict[str, Any] = {"Name": contact_name(customer)}
    if customer.first_name:
        body["FirstName"] = customer.first_name[:255]
    if customer.last_name:
        body["LastName"] = customer.last_name[:255]
    if customer.email:
        body["EmailAddress"] = customer.email
    if customer.accounting_id:
        body["AccountNumber"] = customer.accounting_id[:50]
    if customer.address is not None:
        a = customer.address
        body["Addresses"] = [
            {
                "AddressType": "STREET",
                "AddressLine1": a.line1,
                "AddressLine2": a.line2,
                "City": a.city,
                "PostalCode": a.postcode,
                "Country": a.country,
            }
        ]
    return body


def item_body(product: Product, account_code: str) -> dict[str, Any]:
    variant = product.variants[0] if product.variants else None
    code = (variant.sku if variant is not None else None) or product.handle
    body: dict[str, Any] = {
        "Code": code[:CODE_MAX],
        "Name": (product.title or code)[:NAME_MAX],
        "IsSold": True,
        "IsPurchased": False,
        "SalesDetails": {"AccountCode": account_code},
    }
    if variant is not None and variant.price is not None:
        body["SalesDetails"]["UnitPrice"] = float(variant.price)
    return body


def line_items(order: Order, account_code: str) -> list[dict[str, Any]]:
    lines = []
    for line in order.lines:
        entry: dict[str, Any] = {
            "Description": (line.title or line.sku or "item")[:4000],
            "Quantity": line.quantity,
            "UnitAmount": float(line.unit_price),
            "AccountCode": account_code,
        }
        if line.sku:
            entry["ItemCode"] = line.sku[:CODE_MAX]
        lines.append(entry)
    return lines


def invoice_body(
    order: Order,
    *,
    contact_id: str,
    reference: str,
    status: str,
    account_code: str,
    line_amount_types: str,
) -> dict[str, Any]:
    when = order.created_at or datetime.now(UTC)
    return {
        "Type": "ACCREC",
        # The contact by id alone: any other contact field would overwrite the contact.
        "Contact": {"ContactID": contact_id},
        "Reference": reference,
        "Status": status,
        "CurrencyCode": order.currency,
        "Date": when.date().isoformat(),
        "DueDate": when.date().isoformat(),
        "LineAmountTypes": line_amount_types,
        "LineItems": line_items(order, account_code),
    }


def escape(value: str) -> str:
    """A string for a ``where`` clause: inside double quotes, quotes and backslashes escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"')
