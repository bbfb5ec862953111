"""Canonical records <-> SparkLayer JSON.

Documented shapes (platform-specs.md §2.2): price rows ``{sku, pricing[{quantity, price}]}``,
stock rows ``{sku, stock_location_external_id, stock_level, restock_date}``, customers with
``external_id``, ``email``, ``group``, ``price_lists``, ``payment_on_account``,
``parent_customer_id`` and ``addresses``. The product body, the customer's name, company,
accounting and discount field names, and the purchase body are assumptions (the vendor's
OpenAPI files could not be read here); each is named once below so it is easy to correct.

Prices are JSON numbers on SparkLayer; read back they are given at least two decimal places,
the form back offices send ("12.50"), so a price read back hashes as it was written.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import Address, Customer, Order, Product, Variant

CENTS = Decimal("0.01")


def money(value: Any) -> Decimal | None:
    """A price as SparkLayer gives it (a number), with at least two decimal places."""
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise PayloadError(f"not an amount: {value!r}") from exc
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        amount = amount.quantize(CENTS)
    return amount


def number(value: Decimal | None) -> float | int | None:
    """An amount as a JSON number."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class WireVariant(_Wire):
    id: int | str | None = None
    external_id: str
    sku: str | None = None
    title: str = ""
    weight_grams: int | None = None  # [assumed name]
    position: int = 0
    image_url: str | None = None
    options: dict[str, str] = Field(default_factory=dict)
    rrp: Any = None


class WireProduct(_Wire):
    id: int | str
    external_id: str
    title: str
    slug: str
    status: str = "live"
    restock_date: date | None = None
    settings: dict[str, str] = Field(default_factory=dict)
    variants: list[WireVariant] = Field(default_factory=list)


def product_body(product: Product) -> dict[str, Any]:
    """The Core API product body [assumed: Core API v0.1.0 fields + our variants]."""
    return {
        "external_id": product.external_id,
        "title": product.title,
        "slug": product.handle,
        "status": product.status,
        "restock_date": product.restock_date.isoformat() if product.restock_date else None,
        "settings": dict(product.custom),
        "variants": [
            {
                "external_id": v.external_id,
                "sku": v.sku,
                "title": v.title,
                "weight_grams": v.weight_grams,
                "position": v.position,
                "image_url": v.image_url,
                "options": dict(v.options),
                "rrp": number(v.rrp),
            }
            for v in product.variants
        ],
    }


def parse_product(raw: Any, prices: dict[str, Decimal], system: str) -> tuple[Product, str]:
    """A product as SparkLayer holds it, its variants' prices from the price list; and its id."""
    try:
        wire = WireProduct.model_validate(raw)
    except ValidationError as exc:
        raise PayloadError(f"a product SparkLayer sent is malformed: {exc}", system=system) from exc
    status = "discontinued" if wire.status == "discontinued" else "live"
    product = Product(
        external_id=wire.external_id,
        title=wire.title,
        handle=wire.slug,
        status=status,
        restock_date=wire.restock_date,
        custom=wire.settings,
        variants=tuple(
            Variant(
                external_id=v.external_id,
                sku=v.sku,
                title=v.title,
                weight_grams=v.weight_grams,
                position=v.position,
                image_url=v.image_url,
                options=v.options,
                price=prices.get(v.sku) if v.sku else None,
                rrp=money(v.rrp),
            )
            for v in wire.variants
        ),
    )
    return product, str(wire.id)


class WireAddress(_Wire):
    address_line_1: str = ""
    address_line_2: str = ""
    city: str = ""
    postcode: str = ""
    country_code: str = ""


class WireCustomer(_Wire):
    external_id: str
    email: str | None = None
    first_name: str = ""  # [assumed name]
    last_name: str = ""  # [assumed name]
    company_name: str = ""  # [assumed name]
    group: str | None = None
    accounting_ref: str | None = None  # [assumed name]
    price_lists: list[str] = Field(default_factory=list)
    discount_percentage: Any = None  # [assumed name]
    payment_on_account: bool = False
    parent_customer_id: str | None = None
    addresses: list[WireAddress] = Field(default_factory=list)


def customer_body(customer: Customer, external_id: str) -> dict[str, Any]:
    """The whole customer (SparkLayer's PUT clears whatever is left out)."""
    address = customer.address
    return {
        "external_id": external_id,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company_name": customer.company,
        "group": customer.group,
        "accounting_ref": customer.accounting_id,
        "price_lists": list(customer.price_lists),
        "discount_percentage": number(customer.discount_percent),
        "payment_on_account": customer.pays_on_account,
        "parent_customer_id": customer.parent_external_id,
        "addresses": []
        if address is None
        else [
            {
                "address_line_1": address.line1,
                "address_line_2": address.line2,
                "city": address.city,
                "postcode": address.postcode,
                "country_code": address.country,
            }
        ],
    }


def parse_customer(raw: Any, system: str) -> Customer:
    try:
        wire = WireCustomer.model_validate(raw)
    except ValidationError as exc:
        raise PayloadError(
            f"a customer SparkLayer sent is malformed: {exc}", system=system
        ) from exc
    first = wire.addresses[0] if wire.addresses else None
    discount = wire.discount_percentage
    return Customer(
        external_id=wire.external_id,
        email=wire.email,
        first_name=wire.first_name,
        last_name=wire.last_name,
        company=wire.company_name,
        group=wire.group,
        accounting_id=wire.accounting_ref,
        price_lists=tuple(wire.price_lists),
        discount_percent=None if discount is None else Decimal(str(discount)),
        pays_on_account=wire.payment_on_account,
        parent_external_id=wire.parent_customer_id,
        address=None
        if first is None
        else Address(
            line1=first.address_line_1,
            line2=first.address_line_2,
            city=first.city,
            postcode=first.postcode,
            country=first.country_code,
        ),
    )


def purchase_body(order: Order, customer_id: str | None) -> dict[str, Any]:
    """The whole purchase for ``PUT /api/v1/purchases/platform/{id}`` [body assumed]: what the
    back office holds, no calculated fields."""
    return {
        "platform_id": order.external_id,
        "order_number": order.number or order.external_id,
        "status": order.status,
        "b2b": order.b2b,
        "currency_code": order.currency,
        "total": number(order.total),
        "customer_external_id": customer_id,
        "customer_email": order.customer.email,
        "created_at": order.created_at.isoformat() if order.created_at else None,
        "lines": [
            {
                "sku": line.sku,
                "name": line.title,
                "quantity": line.quantity,
                "unit_price": number(line.unit_price),
            }
            for line in order.lines
        ],
        "shipments": [
            {
                "external_id": s.external_id,
                "carrier": s.carrier,
                "tracking_number": s.tracking,
                "shipped_at": s.shipped_at.isoformat() if s.shipped_at else None,
                "lines": [{"sku": sku, "quantity": qty} for sku, qty in s.lines],
            }
            for s in order.shipments
        ],
    }
