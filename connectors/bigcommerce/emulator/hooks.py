"""Webhook deliveries signed the Standard Webhooks way, with BigCommerce's retry schedule.

Documented (platform-apis.md §6.4): thin payloads ``{scope, store_id, data: {type, id}, hash,
created_at, producer}``; headers ``webhook-id``, ``webhook-timestamp``, ``webhook-signature:
v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` keyed by the app's client secret; retries
after 60, 180, 300 ... s and deactivation after about 48 h. Assumed: the HMAC key is the client
secret's bytes as is; the subscription's custom ``headers`` are sent too; an inventory event's
``data.inventory`` carries the variant, location and new absolute value. ``retry_scale``
shrinks the retry delays for tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

RETRY_AFTER = (60, 180, 300, 600, 900, 1800, 3600, 7200, 21600, 50400, 86400)


def sign(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass
class Delivery:
    msg_id: str
    body: bytes
    destination: str
    headers: dict[str, str]
    attempts: int = 0


@dataclass
class Sender:
    secret: str
    store_hash: str
    retry_scale: float = 1.0
    #: Send every delivery this many times (duplicates are documented as possible).
    duplicates: int = 1
    delivered: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)
    _send: Any = None
    _receive: Any = None

    def __post_init__(self) -> None:
        self._send, self._receive = anyio.create_memory_object_stream[Delivery](10_000)

    def queue(
        self, hooks: list[dict[str, Any]], scope: str, rid: int, extra: dict[str, Any] | None
    ) -> None:
        kind = scope.split("/")[1]
        for hook in hooks:
            pattern = str(hook["scope"])
            if not hook.get("is_active", True):
                continue
            if pattern != scope and not (pattern.endswith("/*") and scope.startswith(pattern[:-1])):
                continue
            payload = {
                "scope": scope,
                "store_id": "1025646",
                "data": {"type": kind, "id": rid, **(extra or {})},
                "hash": hashlib.sha1(f"{scope}{rid}{time.time()}".encode()).hexdigest(),
                "created_at": int(time.time()),
                "producer": f"stores/{self.store_hash}",
            }
            body = json.dumps(payload).encode()
            delivery = Delivery(
                str(uuid.uuid4()), body, str(hook["destination"]), dict(hook.get("headers") or {})
            )
            for _ in range(self.duplicates):
                self._send.send_nowait(delivery)

    async def run(self) -> None:
        with self._send, self._receive:
            async with anyio.create_task_group() as tg, httpx.AsyncClient(timeout=10) as client:
                async for delivery in self._receive:
                    tg.start_soon(self._deliver, client, delivery)

    async def _deliver(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        for wait in (0, *RETRY_AFTER):
            await anyio.sleep(wait * self.retry_scale)
            delivery.attempts += 1
            stamp = str(int(time.time()))
            headers = {
                **delivery.headers,
                "content-type": "application/json",
                "webhook-id": delivery.msg_id,
                "webhook-timestamp": stamp,
                "webhook-signature": sign(self.secret, delivery.msg_id, stamp, delivery.body),
            }
            try:
                response = await client.post(
                    delivery.destination, content=delivery.body, headers=headers
                )
                if 200 <= response.status_code < 300:
                    self.delivered.append(delivery)
                    return
            except httpx.HTTPError:
                pass
        self.failed.append(delivery)
