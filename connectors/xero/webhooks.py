"""Xero webhook deliveries -> change notices, and their signature check.

Signature: ``x-xero-signature`` is base64(HMAC-SHA256(webhook key, raw body)), compared in
constant time. A delivery has no id or topic header: its body
``{"events": [...], "firstEventSequence", "lastEventSequence", "entropy"}`` is its identity
(a redelivery repeats the body byte for byte), so the delivery id is a digest of the body and
the topic is ``xero``. Intent to Receive: before it turns a subscription on, Xero sends bodies
with no events, some signed right and some wrong, and wants 200 or 401 with an empty body
(``empty_answers``); the receiver checks the signature before anything else, so that holds.

    CONTACT events  -> customer notices (the daemon then reads the contact)
    INVOICE events  -> nothing: invoices are what we post, not what we read
Items have no webhooks: polling stays the source of truth for products, prices and stock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from syncwright.connectors.webhooks import Notice


class XeroWebhooks:
    topic_header = "x-xero-topic"  # Xero sends none; see ``identify``
    delivery_header = "x-xero-delivery"  # nor this
    secret_name = "webhook_key"
    #: Xero wants answers with an empty body.
    empty_answers = True

    def verify(self, secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
        given = headers.get("x-xero-signature", "")
        try:
            raw = base64.b64decode(given, validate=True)
        except (binascii.Error, ValueError):
            return False
        expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        return hmac.compare_digest(raw, expected)

    def identify(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, str]:
        """The (delivery id, topic) of a delivery, from its body."""
        return hashlib.sha256(body).hexdigest()[:40], "xero"

    def notices(self, topic: str, payload: Any) -> list[Notice]:
        if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
            raise ValueError("the body has no events array")
        found: list[Notice] = []
        for event in payload["events"]:
            if not isinstance(event, dict):
                raise ValueError("an event is not an object")
            if event.get("eventCategory") != "CONTACT":
                continue
            resource = event.get("resourceId")
            if not isinstance(resource, str) or not resource:
                raise ValueError("a CONTACT event without resourceId")
            when = event.get("eventDateUtc")
            found.append(Notice("customer", resource, when if isinstance(when, str) else None))
        return found


def sign(key: str, body: bytes) -> str:
    """The ``x-xero-signature`` Xero would send for ``body`` (for the emulator and tests)."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


FORMAT = XeroWebhooks()
