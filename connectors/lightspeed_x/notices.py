"""X-Series webhook deliveries -> change notices (hints: the job then reads the item now).

Documented (x-series-api.lightspeedhq.com "Webhooks"): a POST with an
``application/x-www-form-urlencoded`` body whose field ``payload`` holds a JSON object in the
API 1.0 shape; other fields (``type``, ``domain_prefix``, ``retailer_id``, ``environment``)
"may be present but are not guaranteed"; delivery is retried but not guaranteed, so the
version cursors stay the source of truth.

No signature scheme is documented for X-Series webhooks (only a third party's imitation was
found), so none is checked: a delivery is accepted only at a URL carrying the system's
``webhook_key`` credential, ``/webhooks/<system>?key=<webhook_key>`` (``key_in_url``). There
is no delivery id either: a delivery's id is the SHA-256 of its body, so a retried delivery
(the same body) is stored once.

    product.update    -> product notice by SKU (the back office reads the whole family)
    inventory.update  -> inventory notice by product id and outlet id, with its count; the
                         dispatcher asks the connector for the SKU and the outlet's location
    customer.update   -> customer notice by id
    sale.update, ...  -> nothing (orders flow from the channel into X-Series)

When ``type`` is absent the topic is told from the payload's shape (assumed API 1.0 fields):
``outlet_id`` with ``count`` is inventory, ``register_id`` is a sale, ``customer_code`` a
customer, ``handle`` a product.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from syncwright.connectors.webhooks import Notice


class XSeriesWebhooks:
    topic_header = "x-syncwright-topic"  # unused: unwrap() reads the body
    delivery_header = "x-syncwright-delivery"
    secret_name = "webhook_key"
    key_in_url = True

    def verify(self, secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
        return False  # never used: key_in_url

    def unwrap(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, str, bytes]:
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise ValueError("the body is not form-encoded") from None
        raw = fields.get("payload")
        if not raw:
            raise ValueError("no payload field")
        try:
            payload = json.loads(raw[0])
        except ValueError:
            raise ValueError("payload is not JSON") from None
        if not isinstance(payload, dict):
            raise ValueError("payload is not a JSON object")
        given = (fields.get("type") or [""])[0].strip()
        topic = given or _topic_of(payload)
        if len(topic) > 100:
            raise ValueError("type is too long")
        return topic, hashlib.sha256(body).hexdigest(), json.dumps(payload).encode()

    def notices(self, topic: str, payload: Any) -> list[Notice]:
        if not isinstance(payload, dict):
            raise ValueError("the payload is not a JSON object")
        if topic == "product.update":
            key = payload.get("sku") or payload.get("id")
            return [Notice("product", _text(key, topic))]
        if topic == "inventory.update":
            count = payload.get("count")
            return [
                Notice(
                    "inventory_item",
                    _text(payload.get("product_id"), topic),
                    location=_text(payload.get("outlet_id"), topic),
                    quantity=int(count) if isinstance(count, int | float) else None,
                )
            ]
        if topic == "customer.update":
            return [Notice("customer", _text(payload.get("id"), topic))]
        return []  # kept, not queued


def _topic_of(payload: dict[str, Any]) -> str:
    if "outlet_id" in payload and "count" in payload:
        return "inventory.update"
    if "register_id" in payload:
        return "sale.update"
    if "customer_code" in payload:
        return "customer.update"
    if "handle" in payload:
        return "product.update"
    raise ValueError("no type field and a payload of unknown shape")


def _text(value: Any, topic: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value):
        raise ValueError(f"{topic} without the id it needs")
    return str(value)


FORMAT = XSeriesWebhooks()
