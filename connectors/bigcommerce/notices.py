"""BigCommerce webhook deliveries -> change notices, and their Standard Webhooks signature.

Signature: ``webhook-signature`` holds one or more space-separated ``v1,<base64>`` values, each
base64(HMAC-SHA256(client secret, "{webhook-id}.{webhook-timestamp}.{raw body}")); one match
(constant-time) is enough. A timestamp more than five minutes off is refused (replays). The
dedup key is ``webhook-id`` (the same on every retry). BigCommerce sends no topic header: the
scope is in the body (``topic_of``).

Payloads are thin (``data: {type, id}``), so each notice names BigCommerce's own id:

    store/sku/inventory/updated, store/sku/inventory/order/updated
                              -> inventory_item notice by variant id (the SKU is looked up
                                 through the connector's sku_of_inventory_item before queueing),
                                 with the location and absolute value when ``data.inventory``
                                 has them, so the echo of our own write is skipped
    store/order/created, /updated, /statusUpdated, /archived -> order notice (the order id)
    store/customer/created, /updated                       -> customer notice (the customer id)

Product notices are not produced: a BigCommerce product id means nothing to the other side
(neither a SKU nor the back office's id), and product edits reach the daemon through the
date_modified feed, deletions through the id listing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from syncwright.connectors.webhooks import Notice

#: How far a delivery's timestamp may be from our clock (Standard Webhooks' suggestion).
TOLERANCE = 300.0


class BigCommerceWebhooks:
    topic_header = "x-bigcommerce-scope"  # never sent: topic_of reads the body
    delivery_header = "webhook-id"
    secret_name = "client_secret"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock

    def verify(self, secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
        msg_id = headers.get("webhook-id", "")
        stamp = headers.get("webhook-timestamp", "")
        given = headers.get("webhook-signature", "")
        if not msg_id or not stamp.isdigit() or not given:
            return False
        if abs(self.clock() - int(stamp)) > TOLERANCE:
            return False
        signed = f"{msg_id}.{stamp}.".encode() + body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
        ok = False
        for part in given.split():
            version, _, value = part.partition(",")
            if version != "v1":
                continue
            try:
                raw = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                continue
            ok |= hmac.compare_digest(raw, expected)
        return ok

    def topic_of(self, body: bytes) -> str:
        """The scope of a delivery, from its body ("" when unreadable)."""
        try:
            scope = json.loads(body).get("scope")
        except (ValueError, AttributeError):
            return ""
        return scope if isinstance(scope, str) else ""

    def notices(self, topic: str, payload: Any) -> list[Notice]:
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise ValueError("the body has no data object")
        ident = payload["data"].get("id")
        if isinstance(ident, bool) or not isinstance(ident, int | str) or not str(ident):
            raise ValueError(f"{topic} without data.id")
        rid = str(ident)
        if topic.startswith("store/sku/inventory/"):
            stock = payload["data"].get("inventory")
            stock = stock if isinstance(stock, dict) else {}
            location, value = stock.get("location_id"), stock.get("value")
            return [
                Notice(
                    "inventory_item",
                    rid,
                    location=str(location) if type(location) is int else None,
                    quantity=value
                    if type(value) is int and stock.get("method") == "absolute"
                    else None,
                )
            ]
        if topic.startswith("store/order/"):
            return [Notice("order", rid)]
        if topic in ("store/customer/created", "store/customer/updated"):
            return [Notice("customer", rid)]
        return []  # kept, not queued


FORMAT = BigCommerceWebhooks()
