"""Shopify webhook deliveries -> change notices, and their signature check.

Signature: ``X-Shopify-Hmac-Sha256`` is base64(HMAC-SHA256(client secret, raw body)); compared
with ``hmac.compare_digest``. The dedup key is ``X-Shopify-Webhook-Id`` (the same on every
retry of one delivery).

    products/update          -> one product notice, by its first variant SKU (the back office
                                finds the whole product by any of its SKUs), with a digest of
                                its title, status and variant SKUs and prices: when it equals
                                the digest of our last productSet of that product (``Echoes``),
                                the notice is the echo of our own write and queues no check
    inventory_levels/update  -> inventory_item notice with location and quantity (the SKU and
                                the back office's location name are looked up before queueing)
    orders/create, /updated  -> order notice (the order's numeric id)
    customers/update         -> customer notice (the channel's customer id)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from syncwright.connectors.webhooks import Notice


class ShopifyWebhooks:
    topic_header = "x-shopify-topic"
    delivery_header = "x-shopify-webhook-id"
    secret_name = "client_secret"

    def verify(self, secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
        given = headers.get("x-shopify-hmac-sha256", "")
        try:
            raw = base64.b64decode(given, validate=True)
        except (binascii.Error, ValueError):
            return False
        expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        return hmac.compare_digest(raw, expected)

    def notices(self, topic: str, payload: Any) -> list[Notice]:
        if not isinstance(payload, dict):
            raise ValueError("the body is not a JSON object")
        token = payload.get("updated_at")
        token = token if isinstance(token, str) else None
        if topic == "products/update":
            variants = payload.get("variants")
            if not isinstance(variants, list):
                raise ValueError("products/update without variants")
            skus = sorted({str(v["sku"]) for v in variants if isinstance(v, dict) and v.get("sku")})
            if not skus:
                return []
            pairs = [(v.get("sku"), v.get("price")) for v in variants if isinstance(v, dict)]
            digest = product_digest(payload.get("title"), payload.get("status"), pairs)
            return [Notice("product", str(skus[0]), token, digest=digest)]
        if topic == "inventory_levels/update":
            item = payload.get("inventory_item_id")
            if not isinstance(item, int | str) or isinstance(item, bool) or not str(item):
                raise ValueError("inventory_levels/update without inventory_item_id")
            location = payload.get("location_id")
            available = payload.get("available")
            return [
                Notice(
                    "inventory_item",
                    f"gid://shopify/InventoryItem/{item}",
                    token,
                    location=f"gid://shopify/Location/{location}" if location else None,
                    quantity=available if type(available) is int else None,
                )
            ]
        if topic in ("orders/create", "orders/updated"):
            return [Notice("order", _id(payload, topic), token)]
        if topic == "customers/update":
            return [Notice("customer", _id(payload, topic), token)]
        return []  # a topic we do not act on: kept, not queued


def product_digest(title: Any, status: Any, variants: Iterable[tuple[Any, Any]]) -> str:
    """What both sides of an echo agree on: title, status (any case) and each variant's SKU
    and price (as a number: "17" and "17.00" are one price)."""
    rows = sorted((str(sku), _price(price)) for sku, price in variants if sku)
    text = repr((str(title), str(status).lower(), rows))
    return hashlib.sha256(text.encode()).hexdigest()


def _price(value: Any) -> str:
    try:
        return str(Decimal(str(value)).normalize()) if value is not None else ""
    except InvalidOperation:
        return str(value)


class Echoes:
    """The digest of the last productSet we sent per product (by its first SKU, as its notice
    names it). Held in memory: after a restart an echo costs one check, never a missed edit."""

    def __init__(self) -> None:
        self._sent: dict[str, str] = {}

    def sending(self, product_set: Mapping[str, Any]) -> None:
        """Note a productSet input before it goes out (its webhook may arrive before the
        answer does)."""
        variants = [(v.get("sku"), v.get("price")) for v in product_set.get("variants") or []]
        skus = sorted(str(sku) for sku, _ in variants if sku)
        if skus:
            digest = product_digest(product_set.get("title"), product_set.get("status"), variants)
            self._sent[skus[0]] = digest

    def is_echo(self, notice: Notice) -> bool:
        """True when ``notice`` reports exactly what we last sent for that product."""
        return notice.digest is not None and self._sent.get(notice.id) == notice.digest


def _id(payload: dict[str, Any], topic: str) -> str:
    value = payload.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value):
        raise ValueError(f"{topic} without an id")
    return str(value)


FORMAT = ShopifyWebhooks()
