"""The emulator's webhooks: subscriptions (at most five per account) and signed deliveries.

``POST /Webhooks/Subscriptions`` with ``{"NotificationUrl", "EventTypes"}`` subscribes (the path
and body are assumed; Unleashed documents the webhooks API but not its shapes here), ``GET``
lists, ``DELETE /Webhooks/Subscriptions/{guid}`` removes. Each product or customer change is
posted to every subscription for its event type, signed as notices.py checks, retried a few
times on failure. Deliveries do not count against the quota.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from syncwright.connectors.unleashed.notices import signature

MAX_SUBSCRIPTIONS = 5


@dataclass
class Delivery:
    url: str
    event_id: str
    event_type: str
    body: bytes
    attempts: int = 0


@dataclass
class Webhooks:
    key: str
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    delivered: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)
    retry_delay: float = 0.2
    pending: list[Delivery] = field(default_factory=list)
    _wake: anyio.Event | None = None

    def subscribe(self, url: str, events: list[str]) -> dict[str, Any]:
        if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise ValueError(f"An account may have at most {MAX_SUBSCRIPTIONS} subscriptions")
        guid = str(uuid.uuid4())
        self.subscriptions[guid] = {"Guid": guid, "NotificationUrl": url, "EventTypes": events}
        return self.subscriptions[guid]

    def emit(self, event: str, row: dict[str, Any], encode: Any) -> None:
        data = {k: row.get(k) for k in ("Guid", "ProductCode", "CustomerCode") if k in row}
        for sub in self.subscriptions.values():
            if event not in sub["EventTypes"]:
                continue
            event_id = str(uuid.uuid4())
            body = encode({"eventId": event_id, "eventType": event, "data": data})
            self.pending.append(Delivery(sub["NotificationUrl"], event_id, event, body))
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            while True:
                while self.pending:
                    await self._deliver(client, self.pending.pop(0))
                self._wake = anyio.Event()
                if not self.pending:
                    await self._wake.wait()

    async def _deliver(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        while delivery.attempts < 5:
            delivery.attempts += 1
            stamp = str(int(time.time()))
            headers = {
                "content-type": "application/json",
                "x-unleashed-signature": signature(self.key, stamp, delivery.body),
                "x-unleashed-timestamp": stamp,
                "x-unleashed-event-type": delivery.event_type,
                "x-unleashed-event-id": delivery.event_id,
            }
            try:
                response = await client.post(delivery.url, content=delivery.body, headers=headers)
                if response.status_code < 300:
                    self.delivered.append(delivery)
                    return
            except httpx.HTTPError:
                pass
            await anyio.sleep(self.retry_delay * delivery.attempts)
        self.failed.append(delivery)
