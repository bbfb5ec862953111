"""The emulator's webhook deliveries, sent the way X-Series sends them.

Documented: a POST with an ``application/x-www-form-urlencoded`` body, the object as JSON in
the field ``payload`` (API 1.0 shapes), other fields not guaranteed; failed deliveries are
retried. Assumed: the 1.0 shapes below (the fields the connector reads: a product's ``id``,
``handle`` and ``sku``; an inventory record's ``product_id``, ``outlet_id`` and ``count``; a
customer's ``id`` and ``customer_code``); the ``type``, ``domain_prefix`` and
``retailer_id`` fields are sent unless ``omit_type`` is set; a failed delivery is retried a few
times, soon (the real service spreads 20 retries over 48 hours).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import anyio
import httpx

Row = dict[str, Any]


def legacy_shape(kind: str, row: Row) -> Row:
    """An API 1.0-like object for a 2.0 row."""
    if kind == "inventory.update":
        return {
            "id": row["id"],
            "product_id": row["product_id"],
            "outlet_id": row["outlet_id"],
            "count": row["inventory_level"],
        }
    if kind == "product.update":
        keep = ("id", "handle", "sku", "name", "variant_parent_id", "active", "deleted_at")
        return {k: row.get(k) for k in keep}
    keep = ("id", "customer_code", "first_name", "last_name", "email", "register_id", "status")
    return {k: row[k] for k in keep if k in row}


class WebhookSender:
    def __init__(self, domain_prefix: str, retailer_id: str) -> None:
        self.url: str | None = None
        self.omit_type = False
        self.domain_prefix = domain_prefix
        self.retailer_id = retailer_id
        self.delivered: list[tuple[str, Row]] = []
        self.failed: list[tuple[str, Row]] = []
        self._send, self._receive = anyio.create_memory_object_stream[tuple[str, Row]](10_000)

    def close(self) -> None:
        self._send.close()
        self._receive.close()

    def emit(self, kind: str, row: Row) -> None:
        if self.url is None:
            return
        try:
            self._send.send_nowait((kind, legacy_shape(kind, row)))
        except (anyio.WouldBlock, anyio.ClosedResourceError):
            self.failed.append((kind, row))

    def body(self, kind: str, payload: Row) -> bytes:
        fields = {"payload": json.dumps(payload)}
        if not self.omit_type:
            fields.update(type=kind, domain_prefix=self.domain_prefix, retailer_id=self.retailer_id)
        return urlencode(fields).encode()

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=5.0) as client:
            async for kind, payload in self._receive:
                url = self.url
                if url is None:
                    continue
                body = self.body(kind, payload)
                for attempt in range(5):
                    try:
                        response = await client.post(
                            url,
                            content=body,
                            headers={"content-type": "application/x-www-form-urlencoded"},
                        )
                        if response.status_code < 300:
                            self.delivered.append((kind, payload))
                            break
                    except httpx.HTTPError:
                        pass
                    await anyio.sleep(0.2 * (attempt + 1))
                else:
                    self.failed.append((kind, payload))
