"""Unleashed webhook deliveries -> change notices, and their signature check.

Documented: subscriptions for Product and Customer created/updated/deleted (at most five per
account), deliveries not counted against the quota. From third-party code only (marked
unverified in the platform notes): ``x-unleashed-signature`` = base64(HMAC-SHA256(key,
"{x-unleashed-timestamp}.{raw body}")), the timestamp in Unix seconds. Assumed: the API key
signs, and the event type and id travel in ``x-unleashed-event-type`` and
``x-unleashed-event-id`` as well as in the body (``eventType``, ``eventId``, ``data``).

A delivery older (or newer) than ``MAX_AGE`` seconds is refused, so a captured delivery cannot
be replayed later; duplicates within that time are dropped by the receiver's inbox on the
event id. Polling stays the source of truth: a notice only brings an item's sync forward.

    product.created/updated/deleted   -> product notice by its Guid (get_product reads it;
                                         an obsoleted product comes back discontinued)
    customer.created/updated/deleted  -> customer notice by its Guid
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

from syncwright.connectors.webhooks import Notice

MAX_AGE = 300.0


def signature(key: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class UnleashedWebhooks:
    topic_header = "x-unleashed-event-type"
    delivery_header = "x-unleashed-event-id"
    secret_name = "api_key"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock

    def verify(self, secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
        stamp = headers.get("x-unleashed-timestamp", "").strip()
        try:
            sent = float(stamp)
            given = base64.b64decode(headers.get("x-unleashed-signature", ""), validate=True)
        except (ValueError, binascii.Error):
            return False
        if abs(self.clock() - sent) > MAX_AGE:
            return False
        expected = base64.b64decode(signature(secret, stamp, body))
        return hmac.compare_digest(given, expected)

    def notices(self, topic: str, payload: Any) -> list[Notice]:
        if not isinstance(payload, dict):
            raise ValueError("the body is not a JSON object")
        data = payload.get("data")
        guid = data.get("Guid") if isinstance(data, dict) else None
        if not isinstance(guid, str) or not guid:
            raise ValueError(f"{topic} without data.Guid")
        entity, _, _ = topic.partition(".")
        if entity == "product":
            return [Notice("product", guid.lower())]
        if entity == "customer":
            return [Notice("customer", guid.lower())]
        return []


FORMAT = UnleashedWebhooks()
