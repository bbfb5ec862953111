"""X-Series API 2.0 rows -> canonical records (pure functions).

A product *family* is one canonical Product: X-Series keeps every variant as its own product
row; the family's parent row has ``variant_parent_id`` null, the others point to it. A
product without variants is a family of one. The Product's ``external_id`` is the parent's id,
each Variant's the row's id. Prices are ``price_excluding_tax``. A deleted or inactive parent
makes the family "discontinued"; a deleted variant row leaves the family.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.model import Address, Customer, Product, StockLevel, Variant

Row = dict[str, Any]

#: Grams per unit of X-Series' ``weight_unit`` values.
_GRAMS = {"G": 1.0, "KG": 1000.0, "LB": 453.59237, "OZ": 28.349523125, "CT": 0.2}
_PLACEHOLDER = "/images/placeholder/"


def family_id(row: Row) -> str:
    parent = row.get("variant_parent_id")
    return str(parent) if parent else str(row["id"])


def is_parent(row: Row) -> bool:
    return not row.get("variant_parent_id")


def complete(rows: list[Row]) -> bool:
    """Whether ``rows`` (one family's rows of a page) hold every live variant of it."""
    parent = next((r for r in rows if is_parent(r)), None)
    if parent is None:
        return False
    if parent.get("deleted_at") or not parent.get("has_variants"):
        return True
    live = sum(1 for r in rows if not r.get("deleted_at"))
    return live == parent.get("variant_count")


def product(rows: Iterable[Row]) -> Product:
    """One family's rows (any order, deleted ones included) as a Product."""
    rows = list(rows)
    parent = next((r for r in rows if is_parent(r)), None)
    if parent is None:
        raise PayloadError(f"product family without its parent row: {rows[0].get('id')}")
    gone = bool(parent.get("deleted_at")) or parent.get("active") is False
    members = rows if gone else [r for r in rows if not r.get("deleted_at")]
    members.sort(key=lambda r: (not is_parent(r), str(r.get("sku") or ""), str(r["id"])))
    return Product(
        external_id=str(parent["id"]),
        title=str(parent.get("name") or ""),
        handle=str(parent.get("handle") or ""),
        status="discontinued" if gone else "live",
        variants=tuple(_variant(r, n) for n, r in enumerate(members)),
        version=max(int(r.get("version") or 0) for r in rows),
    )


def _variant(row: Row, position: int) -> Variant:
    options = {
        str(o["name"]): str(o["value"])
        for o in row.get("variant_options") or []
        if isinstance(o, dict) and o.get("name")
    }
    image = row.get("image_url") or None
    return Variant(
        external_id=str(row["id"]),
        sku=row.get("sku") or None,
        title=str(row.get("variant_name") or row.get("name") or ""),
        weight_grams=_grams(row.get("weight"), row.get("weight_unit")),
        position=position,
        image_url=None if image and _PLACEHOLDER in image else image,
        options=options,
        price=_money(row.get("price_excluding_tax")),
    )


def _grams(weight: Any, unit: Any) -> int | None:
    if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
        return None
    return round(weight * _GRAMS.get(str(unit or "G").upper(), 1.0))


def _money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise PayloadError(f"a price that is not a number: {value!r}") from None


def stock(row: Row, sku: str, outlet: str, version: int) -> StockLevel:
    level = row.get("inventory_level")
    if not isinstance(level, int | float) or isinstance(level, bool):
        raise PayloadError(f"inventory row {row.get('id')} without inventory_level")
    return StockLevel(
        sku=sku,
        location=outlet,
        quantity=int(level),
        variant_external_id=str(row["product_id"]),
        version=int(row.get("version") or version),
    )


def customer(row: Row) -> Customer:
    line1 = row.get("physical_address_1") or ""
    address = None
    if line1 or row.get("physical_city") or row.get("physical_postcode"):
        address = Address(
            line1=line1,
            line2=row.get("physical_address_2") or "",
            city=row.get("physical_city") or "",
            postcode=row.get("physical_postcode") or "",
            country=row.get("physical_country_id") or "",
        )
    group = row.get("customer_group_id")
    return Customer(
        external_id=str(row["id"]),
        email=row.get("email") or None,
        first_name=row.get("first_name") or "",
        last_name=row.get("last_name") or "",
        company=row.get("company_name") or "",
        address=address,
        group=str(group) if group else None,
        accounting_id=row.get("customer_code") or None,
        version=int(row.get("version") or 0) or None,
    )


def customer_body(c: Customer) -> dict[str, Any]:
    """A CustomerBase (POST /customers) from a channel's customer."""
    body: dict[str, Any] = {
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email": c.email,
        "company_name": c.company or None,
    }
    if c.accounting_id:
        body["customer_code"] = c.accounting_id
    if c.address is not None:
        body.update(
            physical_address_1=c.address.line1 or None,
            physical_address_2=c.address.line2 or None,
            physical_city=c.address.city or None,
            physical_postcode=c.address.postcode or None,
            physical_country_id=c.address.country or None,
        )
    return body


def product_body(p: Product) -> dict[str, Any]:
    """A ProductCreateBody (POST /products) for a product created at sale time: one variant
    (a family needs the store's variant attribute ids, which we do not create)."""
    if len(p.variants) != 1:
        raise PermanentError(
            f"product {p.external_id}: only single-variant products are created in X-Series"
            " at sale time; create the family there"
        )
    first = p.variants[0]
    body: dict[str, Any] = {"name": p.title or first.sku or "Product", "is_active": True}
    if p.handle:
        body["handle"] = p.handle
    if first.sku:
        body["sku"] = first.sku
    if first.price is not None:
        body["price_excluding_tax"] = float(first.price)
    if first.weight_grams is not None:
        body.update(weight=first.weight_grams, weight_unit="G")
    return body
