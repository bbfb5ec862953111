"""BigCommerce JSON <-> canonical records (connectors/model.py), and its time formats.

Products: ``name`` <- title, ``custom_url.url`` ``/handle/`` <- handle, ``is_visible`` <- status,
the product-level ``sku`` carries our id (``<id_prefix><source id>``: BigCommerce has no
external-id field and finds products by ``sku:in``). Variants: ``sku``, ``price``,
``retail_price`` (RRP), ``weight`` (grams converted to the store's unit), ``image_url``,
``option_values``. A variant without options gets a synthetic option named "Variant" (BigCommerce
keys non-base variants by option values); it is dropped again on read. Variant positions, the
restock date and custom settings live in product custom fields (``syncwright.*``) because
BigCommerce has no field for them. A name another product holds already (BigCommerce refuses
duplicates) becomes "<title> (<id>)", the title kept in ``syncwright.title``.
"""

from __future__ import annotations

import email.utils
import json
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import Address, Customer, Product, Variant

SYNTHETIC_OPTION = "Variant"
FIELD_PREFIX = "syncwright."
#: The title of a product whose name had to be made unique ("<title> (<id>)").
TITLE_FIELD = f"{FIELD_PREFIX}title"
#: Grams per unit of the store's weight setting.
UNIT_GRAMS = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    "oz": Decimal("28.349523125"),
    "lb": Decimal("453.59237"),
}


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (v3) or RFC 2822 (v2) as aware UTC; None when empty."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError) as exc:
            raise PayloadError(f"unreadable time {value!r}") from exc
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def iso(when: datetime | None) -> str:
    """The change token form: ISO 8601 UTC to the second (BigCommerce's precision)."""
    if when is None:
        return ""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def filter_time(token: str) -> str:
    """A change token as BigCommerce's date filters take it (ISO 8601 with an offset)."""
    when = parse_time(token)
    assert when is not None
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise PayloadError(f"unreadable amount {value!r}") from exc


def _handle_url(handle: str) -> str:
    return f"/{handle.strip('/')}/"


def product_body(product: Product, prefix: str, unit: str) -> dict[str, Any]:
    """The product fields of a create (POST) or batch update (PUT, id added by the caller)."""
    prices = [v.price for v in product.variants if v.price is not None]
    fields = {f"{FIELD_PREFIX}{k}": v for k, v in sorted(product.custom.items())}
    if product.restock_date is not None:
        fields[f"{FIELD_PREFIX}restock_date"] = product.restock_date.isoformat()
    ordered = sorted(product.variants, key=lambda v: v.position)
    positions = [v.position for v in ordered]
    if positions != list(range(len(positions))):
        fields[f"{FIELD_PREFIX}positions"] = ",".join(map(str, positions))
    return {
        "name": product.title,
        "type": "physical",
        "sku": prefix + product.external_id,
        "price": str(min(prices)) if prices else "0",
        "weight": 0,
        "is_visible": product.status == "live",
        "custom_url": {"url": _handle_url(product.handle), "is_customized": True},
        "custom_fields": [{"name": k, "value": v} for k, v in fields.items()],
    }


def unique_name(body: dict[str, Any], product: Product) -> None:
    """BigCommerce refuses two products with one name: ours becomes "<title> (<id>)", the
    title kept in a custom field so it reads back as written."""
    body["name"] = f"{product.title} ({product.external_id})"
    body["custom_fields"] = [
        *(f for f in body["custom_fields"] if f["name"] != TITLE_FIELD),
        {"name": TITLE_FIELD, "value": product.title},
    ]


def variant_body(variant: Variant, unit: str) -> dict[str, Any]:
    options = variant.options or {SYNTHETIC_OPTION: variant.sku or variant.external_id}
    body: dict[str, Any] = {
        "sku": variant.sku,
        "price": None if variant.price is None else str(variant.price),
        "retail_price": None if variant.rrp is None else str(variant.rrp),
        "weight": None
        if variant.weight_grams is None
        else float(Decimal(variant.weight_grams) / UNIT_GRAMS[unit]),
        "image_url": variant.image_url or "",
        "option_values": [
            {"option_display_name": name, "label": label} for name, label in options.items()
        ],
    }
    return body


def _fields(row: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for field in row.get("custom_fields") or []:
        if isinstance(field, dict) and isinstance(field.get("name"), str):
            out[field["name"]] = str(field.get("value", ""))
    return out


def _grams(value: Any, unit: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int((Decimal(str(value)) * UNIT_GRAMS[unit]).to_integral_value())
    except InvalidOperation as exc:
        raise PayloadError(f"unreadable weight {value!r}") from exc


def _variant(row: dict[str, Any], position: int, base_price: Any, unit: str) -> Variant:
    options = {
        str(o.get("option_display_name")): str(o.get("label"))
        for o in row.get("option_values") or []
        if isinstance(o, dict) and o.get("option_display_name") != SYNTHETIC_OPTION
    }
    price = row.get("price")
    return Variant(
        external_id=str(row.get("id")),
        sku=row.get("sku") or None,
        title=" / ".join(options.values()),
        weight_grams=_grams(row.get("weight"), unit),
        position=position,
        image_url=row.get("image_url") or None,
        options=options,
        price=money(price if price is not None else base_price),
        rrp=money(row.get("retail_price")) or None,
    )


def product(row: dict[str, Any], *, prefix: str | None, unit: str, system: str) -> Product:
    """A product read back. ``prefix`` set: as a channel (external id from the product SKU,
    variant ids = SKUs); None: as a source (BigCommerce's own ids)."""
    if not isinstance(row.get("id"), int):
        raise PayloadError("a product without an id", system=system)
    fields = _fields(row)
    rows = sorted(
        (v for v in row.get("variants") or [] if isinstance(v, dict)), key=lambda v: v.get("id", 0)
    )
    saved = fields.pop(f"{FIELD_PREFIX}positions", "")
    positions = [int(p) for p in saved.split(",")] if saved else list(range(len(rows)))
    if len(positions) != len(rows):
        positions = list(range(len(rows)))
    variants = [_variant(v, positions[i], row.get("price"), unit) for i, v in enumerate(rows)]
    if prefix is not None:
        variants = [v.model_copy(update={"external_id": v.sku or v.external_id}) for v in variants]
    title = fields.pop(TITLE_FIELD, None)
    restock = fields.pop(f"{FIELD_PREFIX}restock_date", None)
    custom = {k[len(FIELD_PREFIX) :]: v for k, v in fields.items() if k.startswith(FIELD_PREFIX)}
    sku = str(row.get("sku") or "")
    if prefix is not None:
        external = sku[len(prefix) :] if sku.startswith(prefix) else ""
    else:
        external = str(row["id"])
    url = (row.get("custom_url") or {}).get("url") or ""
    return Product(
        external_id=external,
        title=title if title is not None else str(row.get("name") or ""),
        handle=str(url).strip("/"),
        status="live" if row.get("is_visible", True) else "discontinued",
        variants=tuple(variants),
        restock_date=date.fromisoformat(restock) if restock else None,
        custom=custom,
        modified_at=parse_time(row.get("date_modified")),
    )


def customer(row: dict[str, Any], system: str) -> Customer:
    if "id" not in row:
        raise PayloadError("a customer without an id", system=system)
    addresses = [a for a in row.get("addresses") or [] if isinstance(a, dict)]
    address = None
    if addresses:
        a = addresses[0]
        address = Address(
            line1=str(a.get("address1") or ""),
            line2=str(a.get("address2") or ""),
            city=str(a.get("city") or ""),
            postcode=str(a.get("postal_code") or ""),
            country=str(a.get("country_code") or ""),
        )
    group = row.get("customer_group_id")
    return Customer(
        external_id=str(row["id"]),
        email=row.get("email") or None,
        first_name=str(row.get("first_name") or ""),
        last_name=str(row.get("last_name") or ""),
        company=str(row.get("company") or ""),
        address=address,
        group=str(group) if group else None,
        modified_at=parse_time(row.get("date_modified")),
    )


def customer_body(customer: Customer) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": customer.email,
        "first_name": customer.first_name or "-",
        "last_name": customer.last_name or "-",
        "company": customer.company,
    }
    if customer.address is not None and customer.address.line1:
        a = customer.address
        body["addresses"] = [
            {
                "first_name": body["first_name"],
                "last_name": body["last_name"],
                "address1": a.line1,
                "address2": a.line2,
                "city": a.city,
                "postal_code": a.postcode,
                "country_code": a.country,
            }
        ]
    return body


def error_text(item: Any) -> str:
    """A readable reason from one of BigCommerce's error objects."""
    if isinstance(item, dict):
        title = item.get("title") or item.get("message") or ""
        detail = item.get("errors") or item.get("detail") or ""
        return f"{title} {json.dumps(detail) if detail else ''}".strip()[:300] or "refused"
    return str(item)[:300]
