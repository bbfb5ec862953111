"""The emulator's webhook sender: signed POSTs to the subscribed URL, retried on failure.

Headers as Shopify sends them: X-Shopify-Topic, X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of
the raw body with the app's client secret), X-Shopify-Webhook-Id (the same on every retry of a
delivery: the receiver's dedup key), X-Shopify-Triggered-At, X-Shopify-Shop-Domain,
X-Shopify-API-Version, X-Shopify-Event-Id. A delivery that fails (connection error, timeout,
non-2xx) is retried with growing delays, at most ``attempts`` times in all (Shopify: 8 over
4 hours; tests shrink the delays).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import structlog

from syncwright.connectors.shopify.emulator.store import iso, now

log = structlog.get_logger("syncwright.shopify.emulator")

TOPICS = (
    "products/update",
    "inventory_levels/update",
    "orders/create",
    "orders/updated",
    "customers/update",
)


def sign(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class Delivery:
    topic: str
    body: bytes
    webhook_id: str
    event_id: str
    triggered_at: str
    attempts: int = 0


@dataclass
class WebhookSender:
    secret: str
    domain: str
    version: str
    url: str | None = None
    attempts: int = 8
    first_delay: float = 0.5
    timeout: float = 5.0
    delivered: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)
    _send: Any = None
    _receive: Any = None

    def __post_init__(self) -> None:
        self._send, self._receive = anyio.create_memory_object_stream[Delivery](10_000)

    def emit(self, topic: str, payload: dict[str, Any]) -> None:
        if self.url is None or topic not in TOPICS:
            return
        body = json.dumps(payload, separators=(",", ":")).encode()
        delivery = Delivery(topic, body, str(uuid.uuid4()), str(uuid.uuid4()), iso(now()) or "")
        try:
            self._send.send_nowait(delivery)
        except anyio.ClosedResourceError:
            return
        except anyio.WouldBlock:
            log.warning("webhook.queue_full", topic=topic)

    async def run(self) -> None:
        try:
            async with (
                httpx.AsyncClient(timeout=self.timeout) as client,
                anyio.create_task_group() as tg,
            ):
                async for delivery in self._receive:
                    tg.start_soon(self._deliver, client, delivery)
        finally:
            self._send.close()
            self._receive.close()

    async def _deliver(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        delay = self.first_delay
        while delivery.attempts < self.attempts:
            delivery.attempts += 1
            url = self.url
            if url is None:
                return
            try:
                response = await client.post(
                    url, content=delivery.body, headers=self.headers(delivery)
                )
                if 200 <= response.status_code < 300:
                    self.delivered.append(delivery)
                    return
                reason = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                reason = repr(exc)
            log.info(
                "webhook.retry", topic=delivery.topic, attempt=delivery.attempts, reason=reason
            )
            await anyio.sleep(delay)
            delay *= 2
        self.failed.append(delivery)

    def headers(self, delivery: Delivery) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Hmac-Sha256": sign(self.secret, delivery.body),
            "X-Shopify-Shop-Domain": self.domain,
            "X-Shopify-API-Version": self.version,
            "X-Shopify-Webhook-Id": delivery.webhook_id,
            "X-Shopify-Event-Id": delivery.event_id,
            "X-Shopify-Triggered-At": delivery.triggered_at,
        }
