"""Shopify objects <-> canonical records.

Products go out as a ``productSet`` input keyed by our source id (a unique metafield,
``syncwright.source_id``, used as the ``customId`` identifier). What the canonical product
holds that Shopify has no field for (variant ids and titles, restock date, custom fields) rides
in one JSON metafield, ``syncwright.extra``, so a product read back hashes the same as the one
written and verification costs no write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import (
    Address,
    Customer,
    Order,
    OrderLine,
    Product,
    Shipment,
    Variant,
)
from syncwright.connectors.shopify.queries import EXTRA_KEY, NAMESPACE, SOURCE_KEY

T = TypeVar("T")
DEFAULT_OPTION = "Title"
WEIGHT_GRAMS = {"GRAMS": 1.0, "KILOGRAMS": 1000.0, "OUNCES": 28.349523125, "POUNDS": 453.59237}


def gid(kind: str, legacy: str | int) -> str:
    return f"gid://shopify/{kind}/{legacy}"


def legacy_id(value: str) -> str:
    """``gid://shopify/Order/12`` -> ``12`` (other strings unchanged)."""
    return value.rsplit("/", 1)[-1] if value.startswith("gid://") else value


# -- products out -------------------------------------------------------------------------


def product_set(product: Product) -> dict[str, Any]:
    """The ``productSet`` variables for one product: input and identifier."""
    names: list[str] = []
    for variant in product.variants:
        for name in variant.options:
            if name not in names:
                names.append(name)
    use_default = not names
    if use_default:
        names = [DEFAULT_OPTION]
    values: dict[str, list[str]] = {name: [] for name in names}
    variants: list[dict[str, Any]] = []
    extra_variants: dict[str, dict[str, str]] = {}
    files: list[dict[str, Any]] = []
    for index, variant in enumerate(product.variants):
        chosen = (
            {DEFAULT_OPTION: variant.title or variant.sku or f"Variant {index + 1}"}
            if use_default
            else {name: variant.options.get(name, "-") for name in names}
        )
        for name, value in chosen.items():
            if value not in values[name]:
                values[name].append(value)
        item: dict[str, Any] = {
            "optionValues": [{"optionName": n, "name": v} for n, v in chosen.items()],
            "position": variant.position + 1,
            "sku": variant.sku,
        }
        if variant.price is not None:
            item["price"] = str(variant.price)
        if variant.rrp is not None:
            item["compareAtPrice"] = str(variant.rrp)
        if variant.weight_grams is not None:
            item["inventoryItem"] = {
                "sku": variant.sku,
                "measurement": {"weight": {"value": float(variant.weight_grams), "unit": "GRAMS"}},
            }
        if variant.image_url:
            image = {"originalSource": variant.image_url, "contentType": "IMAGE"}
            item["file"] = image
            if image not in files:
                files.append(image)
        variants.append(item)
        extra_variants[_variant_key(variant.sku, index)] = {
            "id": variant.external_id,
            "title": variant.title,
        }
    extra = {
        "variants": extra_variants,
        "restock_date": product.restock_date.isoformat() if product.restock_date else None,
        "custom": product.custom,
        "default_option": use_default,
    }
    payload: dict[str, Any] = {
        "title": product.title,
        "handle": product.handle,
        "status": "ARCHIVED" if product.status == "discontinued" else "ACTIVE",
        "productOptions": [
            {"name": n, "position": i + 1, "values": [{"name": v} for v in values[n]]}
            for i, n in enumerate(names)
        ],
        "variants": variants,
        "metafields": [
            _metafield(SOURCE_KEY, "single_line_text_field", product.external_id),
            _metafield(EXTRA_KEY, "json", json.dumps(extra, sort_keys=True)),
        ],
    }
    if files:
        payload["files"] = files
    identifier = {
        "customId": {"namespace": NAMESPACE, "key": SOURCE_KEY, "value": product.external_id}
    }
    return {"input": payload, "identifier": identifier}


def _metafield(key: str, kind: str, value: str) -> dict[str, str]:
    return {"namespace": NAMESPACE, "key": key, "type": kind, "value": value}


def _variant_key(sku: str | None, index: int) -> str:
    return f"sku:{sku}" if sku else f"#{index}"


# -- products in --------------------------------------------------------------------------


def product(node: Any, system: str | None) -> Product | None:
    """A Shopify product in canonical form; None when it is not one of ours (no source id)."""
    return _guarded(_product, node, system, "product")


def _product(node: Any, system: str | None) -> Product | None:
    obj = _obj(node, "product", system)
    source = _meta_value(obj.get("source"))
    if source is None:
        return None
    extra = _extra(obj.get("extra"), system)
    raw_variants = _nodes(obj.get("variants"))
    default = bool(extra.get("default_option"))
    known = extra.get("variants") if isinstance(extra.get("variants"), dict) else {}
    variants: list[Variant] = []
    for index, raw in enumerate(sorted(raw_variants, key=lambda v: _int(v.get("position"), 0))):
        var = _obj(raw, f"product {source} variant", system)
        sku = var.get("sku") or None
        meta = known.get(_variant_key(sku, index), {}) if isinstance(known, dict) else {}
        options = {
            str(o.get("name")): str(o.get("value"))
            for o in var.get("selectedOptions") or []
            if isinstance(o, dict)
        }
        variants.append(
            Variant(
                external_id=str(meta.get("id") or legacy_id(str(var.get("id", "")))),
                sku=sku,
                title=str(meta.get("title", var.get("title") or "")),
                weight_grams=_grams(var.get("inventoryItem")),
                position=_int(var.get("position"), index + 1) - 1,
                image_url=(var.get("image") or {}).get("url")
                if isinstance(var.get("image"), dict)
                else None,
                options={} if default else options,
                price=_decimal(var.get("price")),
                rrp=_decimal(var.get("compareAtPrice")),
            )
        )
    restock = extra.get("restock_date")
    raw_custom = extra.get("custom")
    custom: dict[str, Any] = raw_custom if isinstance(raw_custom, dict) else {}
    try:
        return Product(
            external_id=source,
            title=str(obj.get("title") or ""),
            handle=str(obj.get("handle") or ""),
            status="discontinued" if obj.get("status") == "ARCHIVED" else "live",
            variants=tuple(variants),
            restock_date=restock,
            custom={str(k): str(v) for k, v in custom.items()},
            modified_at=_time(obj.get("updatedAt")),
        )
    except ValueError as exc:
        raise PayloadError(
            f"product {source} does not fit the model: {exc}", system=system
        ) from exc


def _extra(raw: Any, system: str | None) -> dict[str, Any]:
    value = _meta_value(raw)
    if value is None:
        return {}
    try:
        data = json.loads(value)
    except ValueError as exc:
        raise PayloadError("metafield syncwright.extra is not JSON", system=system) from exc
    return data if isinstance(data, dict) else {}


def _grams(item: Any) -> int | None:
    try:
        weight = item["measurement"]["weight"]
        factor = WEIGHT_GRAMS.get(str(weight["unit"]), 1.0)
        return round(float(weight["value"]) * factor)
    except (KeyError, TypeError, ValueError):
        return None


# -- orders and customers -----------------------------------------------------------------


def order(node: Any, system: str | None) -> Order:
    found: Order = _guarded(_order, node, system, "order")
    return found


def _order(node: Any, system: str | None) -> Order:
    obj = _obj(node, "order", system)
    oid = str(obj.get("legacyResourceId") or legacy_id(str(obj.get("id", ""))))
    if not oid:
        raise PayloadError("an order without an id", system=system)
    money = _money(obj.get("currentTotalPriceSet"))
    lines = []
    for raw in _nodes(obj.get("lineItems")):
        line = _obj(raw, f"order {oid} line", system)
        lines.append(
            OrderLine(
                sku=line.get("sku") or None,
                title=str(line.get("title") or ""),
                quantity=_int(line.get("quantity"), 0),
                unit_price=_money(line.get("originalUnitPriceSet"))[0],
                external_id=legacy_id(str(line.get("id") or "")) or None,
            )
        )
    shipments = []
    for raw in obj.get("fulfillments") or []:
        ful = _obj(raw, f"order {oid} fulfillment", system)
        track = (ful.get("trackingInfo") or [{}])[0] if ful.get("trackingInfo") else {}
        shipments.append(
            Shipment(
                external_id=legacy_id(str(ful.get("id") or "")),
                lines=tuple(
                    (str((fl.get("lineItem") or {}).get("sku") or ""), _int(fl.get("quantity"), 0))
                    for fl in _nodes(ful.get("fulfillmentLineItems"))
                ),
                carrier=str(track.get("company") or ""),
                tracking=str(track.get("number") or ""),
                shipped_at=_time(ful.get("createdAt")),
            )
        )
    raw_customer = obj.get("customer")
    customer = (
        _customer(raw_customer, system, fallback_email=obj.get("email"))
        if isinstance(raw_customer, dict)
        else Customer(external_id=f"guest-{oid}", email=obj.get("email") or None)
    )
    status = "cancelled" if obj.get("cancelledAt") else "closed" if obj.get("closed") else "open"
    try:
        return Order(
            external_id=oid,
            number=str(obj.get("name") or ""),
            customer=customer,
            lines=tuple(lines),
            currency=str(obj.get("currencyCode") or money[1] or ""),
            total=money[0],
            status=status,
            shipping_address=_address(obj.get("shippingAddress")),
            shipments=tuple(shipments),
            created_at=_time(obj.get("createdAt")),
            modified_at=_time(obj.get("updatedAt")),
        )
    except ValueError as exc:
        raise PayloadError(f"order {oid} does not fit the model: {exc}", system=system) from exc


def customer(node: Any, system: str | None) -> Customer:
    found: Customer = _guarded(_customer, node, system, "customer")
    return found


def _customer(node: Any, system: str | None, fallback_email: Any = None) -> Customer:
    obj = _obj(node, "customer", system)
    email_box = obj.get("defaultEmailAddress")
    email = email_box.get("emailAddress") if isinstance(email_box, dict) else None
    address = obj.get("defaultAddress")
    return Customer(
        external_id=str(obj.get("legacyResourceId") or legacy_id(str(obj.get("id", "")))),
        email=email or fallback_email or None,
        first_name=str(obj.get("firstName") or ""),
        last_name=str(obj.get("lastName") or ""),
        company=str(address.get("company") or "") if isinstance(address, dict) else "",
        address=_address(address),
        modified_at=_time(obj.get("updatedAt")),
    )


def customer_input(record: Customer) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": record.email,
        "firstName": record.first_name,
        "lastName": record.last_name,
    }
    return {"input": {k: v for k, v in data.items() if v}}


def _address(raw: Any) -> Address | None:
    if not isinstance(raw, dict):
        return None
    return Address(
        line1=str(raw.get("address1") or ""),
        line2=str(raw.get("address2") or ""),
        city=str(raw.get("city") or ""),
        postcode=str(raw.get("zip") or ""),
        country=str(raw.get("countryCodeV2") or ""),
    )


# -- small readers ------------------------------------------------------------------------


def _guarded(read: Callable[[Any, str | None], T], node: Any, system: str | None, what: str) -> T:
    """Run a reader; a body of the wrong shape is a PayloadError naming the item, not a crash."""
    try:
        return read(node, system)
    except PayloadError:
        raise
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        ident = node.get("id") if isinstance(node, dict) else None
        raise PayloadError(
            f"Shopify sent a {what} {ident or ''} we cannot read: {exc}", system=system
        ) from exc


def _obj(node: Any, what: str, system: str | None) -> Mapping[str, Any]:
    if not isinstance(node, dict):
        raise PayloadError(f"Shopify sent a {what} that is not an object", system=system)
    return node


def _nodes(conn: Any) -> list[Any]:
    if not isinstance(conn, dict):
        return []
    if isinstance(conn.get("nodes"), list):
        return list(conn["nodes"])
    edges = conn.get("edges")
    return [e.get("node") for e in edges if isinstance(e, dict)] if isinstance(edges, list) else []


def _meta_value(raw: Any) -> str | None:
    value = raw.get("value") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def _money(raw: Any) -> tuple[Decimal, str]:
    shop = raw.get("shopMoney") if isinstance(raw, dict) else None
    if not isinstance(shop, dict):
        return Decimal(0), ""
    return _decimal(shop.get("amount")) or Decimal(0), str(shop.get("currencyCode") or "")


def _decimal(raw: Any) -> Decimal | None:
    if raw is None:
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def _int(raw: Any, default: int) -> int:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else default


def _time(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
