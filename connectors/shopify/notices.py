"""Shopify webhook deliveries -> change notices, and their signature check.

Signature: ``X-Shopify-Hmac-Sha256`` is base64(HMAC-SHA256(client secret, raw body)); compared
with ``hmac.compare_digest``. The dedup key is ``X-Shopify-Webhook-Id`` (the same on every
retry of one delivery).

    products/update          -> one product notice, by its first variant SKU (the back office
                                finds the whole product by any of its SKUs)
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
from collections.abc import Mapping
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
            return [Notice("product", str(skus[0]), token)] if skus else []
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


def _id(payload: dict[str, Any], topic: str) -> str:
    value = payload.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value):
        raise ValueError(f"{topic} without an id")
    return str(value)


FORMAT = ShopifyWebhooks()
