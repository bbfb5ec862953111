"""The emulator's webhooks: CONTACT and INVOICE events signed as Xero signs them.

Events are collected as contacts and invoices change and delivered when a test asks
(``POST /_emulator/webhooks/deliver``), one delivery holding every pending event:
``{"events": [...], "firstEventSequence", "lastEventSequence", "entropy"}`` with
``x-xero-signature`` = base64(HMAC-SHA256(webhook key, raw body)). ``POST
/_emulator/webhooks/intent`` runs Xero's Intent to Receive: one empty delivery signed right and
one signed wrong; the endpoint passes when it answers 200 and 401, both with an empty body.
Documented: the body, the header, the signature, the ITR answers. Assumed: delivery timing and
retries (Xero publishes neither); here a delivery is sent once, when asked.
"""

from __future__ import annotations

import json
import secrets
import string
from datetime import UTC, datetime
from typing import Any

import httpx

from syncwright.connectors.xero.webhooks import sign


class Hooks:
    def __init__(self, key: str, tenant_id: str) -> None:
        self.key = key
        self.tenant_id = tenant_id
        self.url: str | None = None
        self.pending: list[dict[str, Any]] = []
        self.sequence = 0
        self.delivered = 0

    def event(self, category: str, resource_id: str, kind: str = "UPDATE") -> None:
        if self.url is None:
            return
        self.sequence += 1
        self.pending.append(
            {
                "resourceUrl": f"https://api.xero.com/api.xro/2.0/{category.title()}s/{resource_id}",
                "resourceId": resource_id,
                "tenantId": self.tenant_id,
                "tenantType": "ORGANISATION",
                "eventCategory": category,
                "eventType": kind,
                "eventDateUtc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
            }
        )

    def body(self, events: list[dict[str, Any]]) -> bytes:
        first = self.sequence - len(events) + 1 if events else self.sequence
        entropy = "".join(secrets.choice(string.ascii_uppercase) for _ in range(20))
        return json.dumps(
            {
                "events": events,
                "firstEventSequence": first,
                "lastEventSequence": self.sequence,
                "entropy": entropy,
            }
        ).encode()

    async def _post(self, body: bytes, key: str) -> httpx.Response:
        assert self.url is not None
        async with httpx.AsyncClient(timeout=5) as client:
            return await client.post(
                self.url,
                content=body,
                headers={"x-xero-signature": sign(key, body), "content-type": "application/json"},
            )

    async def deliver(self) -> dict[str, Any]:
        if self.url is None or not self.pending:
            return {"sent": 0}
        events, self.pending = self.pending, []
        answer = await self._post(self.body(events), self.key)
        self.delivered += 1
        return {"sent": len(events), "status": answer.status_code}

    async def intent(self) -> dict[str, Any]:
        good = await self._post(self.body([]), self.key)
        bad = await self._post(self.body([]), self.key + "-wrong")
        passed = (
            good.status_code == 200
            and bad.status_code == 401
            and not good.content
            and not bad.content
        )
        return {"good": good.status_code, "bad": bad.status_code, "passed": passed}
