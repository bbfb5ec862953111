"""Strict mapping of the sandboxes' customers, orders and settings, in both directions.

Reading: wire JSON -> canonical records, raising PayloadError that names the item and field.
Writing: canonical records -> the JSON bodies the sandboxes accept. The back office numbers
its customers and orders (12); the shop prefixes its ids ("sc_12", "so_12").
"""

from __future__ import annotations

from typing import Any

from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import (
    Address,
    Customer,
    Order,
    OrderLine,
    Product,
    Shipment,
    StoreSettings,
)
from syncwright.connectors.sandbox.wire.products import Obj, build

ORDER_STATUSES = ("open", "cancelled", "closed")


def customer(data: Any, system: str | None, *, shop: bool, stamp: str | None) -> Customer:
    """A customer; ``stamp`` names its change-time field (None for an order's snapshot)."""
    obj = Obj(data, "customer", system)
    ident = obj.text("id") if shop else str(obj.integer("id"))
    obj.what = f"customer {ident}"
    if shop:
        parent = obj.opt_text("parent_id")
    else:
        number = obj.opt_integer("parent_id")
        parent = None if number is None else str(number)
    result: Customer = build(
        obj.what,
        system,
        Customer,
        external_id=ident,
        email=obj.opt_text("email"),
        first_name=obj.text("first_name"),
        last_name=obj.text("last_name"),
        company=obj.opt_text("company") or "",
        address=address(obj.opt_obj("address")),
        group=obj.opt_text("group"),
        accounting_id=obj.opt_text("accounting_id"),
        price_lists=tuple(obj.str_list("price_lists")),
        discount_percent=obj.opt_decimal("discount_percent"),
        pays_on_account=obj.flag("pays_on_account"),
        parent_external_id=parent,
        modified_at=None if stamp is None else obj.token(stamp)[1],
    )
    return result


def erp_customer(data: Any, system: str | None) -> tuple[Customer, str, int]:
    """A back-office customer as (canonical customer, change token, id)."""
    record = customer(data, system, shop=False, stamp="modified_at")
    return record, Obj(data, "customer", system).text("modified_at"), int(record.external_id)


def address(obj: Obj | None) -> Address | None:
    if obj is None:
        return None
    result: Address = build(
        obj.what,
        obj.system,
        Address,
        **{name: obj.text(name) for name in ("line1", "line2", "city", "postcode", "country")},
    )
    return result


def shop_order(data: Any, system: str | None) -> tuple[Order, str, str]:
    """A shop order as (canonical order, change token, shop id)."""
    obj = Obj(data, "order", system)
    ident = obj.text("id")
    obj.what = f"order {ident}"
    token, modified = obj.token("updated_at")
    status = obj.text("status")
    if status not in ORDER_STATUSES:
        raise obj.fail("status", f"one of {', '.join(ORDER_STATUSES)}")
    order: Order = build(
        obj.what,
        system,
        Order,
        external_id=ident,
        number=obj.text("number"),
        customer=customer(obj.obj("customer").data, system, shop=True, stamp=None),
        lines=tuple(
            _line(Obj(raw, f"{obj.what} line #{n}", system))
            for n, raw in enumerate(obj.array("lines"))
        ),
        currency=obj.text("currency"),
        total=obj.decimal("total"),
        status=status,
        b2b=obj.flag("b2b"),
        shipping_address=address(obj.opt_obj("shipping_address")),
        shipments=tuple(
            _shipment(Obj(raw, f"{obj.what} shipment #{n}", system))
            for n, raw in enumerate(obj.array("shipments"))
        ),
        created_at=obj.token("created_at")[1],
        modified_at=modified,
    )
    return order, token, ident


def erp_order(data: Any, system: str | None) -> tuple[Order, str, int]:
    """A back-office order as (canonical order, change token, id): its customer is named by
    id only (``Customer.email`` None), its number is the channel reference when it has one."""
    obj = Obj(data, "order", system)
    ident = obj.integer("id")
    obj.what = f"order {ident}"
    token, modified = obj.token("modified_at")
    order: Order = build(
        obj.what,
        system,
        Order,
        external_id=str(ident),
        number=obj.opt_text("channel_ref") or str(ident),
        customer=Customer(external_id=str(obj.integer("customer_id")), email=None),
        lines=tuple(
            _line(Obj(raw, f"{obj.what} line #{n}", system))
            for n, raw in enumerate(obj.array("lines"))
        ),
        currency=obj.text("currency"),
        total=obj.decimal("total"),
        status=obj.text("status"),
        b2b=obj.flag("b2b"),
        shipping_address=address(obj.opt_obj("shipping_address")),
        shipments=tuple(
            _shipment(Obj(raw, f"{obj.what} shipment #{n}", system), "external_id")
            for n, raw in enumerate(obj.array("shipments"))
        ),
        created_at=obj.opt_time("created_at"),
        modified_at=modified,
    )
    return order, token, ident


def settings(data: Any, system: str | None) -> StoreSettings:
    obj = Obj(data, "store settings", system)
    code = obj.text("currency")
    if len(code) != 3 or not code.isalpha() or not code.isupper():
        raise obj.fail("currency", "a three-letter currency code")
    result: StoreSettings = build(
        obj.what, system, StoreSettings, currency=code, name=obj.opt_text("name") or ""
    )
    return result


def _line(obj: Obj) -> OrderLine:
    line: OrderLine = build(
        obj.what,
        obj.system,
        OrderLine,
        sku=obj.opt_text("sku"),
        title=obj.text("title"),
        quantity=obj.integer("quantity"),
        unit_price=obj.decimal("unit_price"),
    )
    return line


def _shipment(obj: Obj, id_key: str = "id") -> Shipment:
    pairs = []
    for pair in obj.array("lines"):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not isinstance(pair[0], str)
            or type(pair[1]) is not int
        ):
            raise obj.fail("lines", "a list of [sku, quantity] pairs")
        pairs.append((pair[0], pair[1]))
    shipment: Shipment = build(
        obj.what,
        obj.system,
        Shipment,
        external_id=obj.text(id_key),
        lines=tuple(pairs),
        carrier=obj.text("carrier"),
        tracking=obj.text("tracking"),
        shipped_at=obj.opt_time("shipped_at"),
    )
    return shipment


# -- records -> request bodies ---------------------------------------------------------------


def customer_body(record: Customer, parent: int | str | None) -> dict[str, Any]:
    return {
        "email": record.email,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "company": record.company or None,
        "group": record.group,
        "accounting_id": record.accounting_id,
        "price_lists": list(record.price_lists),
        "discount_percent": None
        if record.discount_percent is None
        else str(record.discount_percent),
        "pays_on_account": record.pays_on_account,
        "parent_id": parent,
        "address": None if record.address is None else record.address.model_dump(),
    }


def order_body(order: Order) -> dict[str, Any]:
    """The parts of an order a back office records (creates and amendments alike)."""
    return {
        "lines": [
            {
                "sku": line.sku,
                "title": line.title,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
            }
            for line in order.lines
        ],
        "currency": order.currency,
        "total": str(order.total),
        "b2b": order.b2b,
        "status": order.status,
        "shipping_address": None
        if order.shipping_address is None
        else order.shipping_address.model_dump(),
    }


def shipment_body(shipment: Shipment) -> dict[str, Any]:
    return {
        "external_id": shipment.external_id,
        "lines": [[sku, quantity] for sku, quantity in shipment.lines],
        "carrier": shipment.carrier,
        "tracking": shipment.tracking,
        "shipped_at": None if shipment.shipped_at is None else shipment.shipped_at.isoformat(),
    }


def product_body(product: Product) -> dict[str, Any]:
    """A product to create in the back office (which gives it and its variants new ids)."""
    body = product.model_dump(mode="json", exclude={"external_id", "modified_at", "version"})
    for variant in body["variants"]:
        del variant["external_id"]
    return body


def numeric_id(value: str, what: str, system: str | None) -> int:
    """A back-office id; anything else cannot name a record there."""
    if not value.isdigit():
        raise PermanentError(f"{what} {value!r} is not a back-office id (digits)", system=system)
    return int(value)
