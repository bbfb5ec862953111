"""The Xero emulator on loopback for connector tests, and a gate that records what it hears."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx

from syncwright.connectors.base import SystemSpec
from syncwright.connectors.serving import serve_asgi
from syncwright.connectors.xero.auth import write_refresh_token
from syncwright.connectors.xero.connector import XeroBooks
from syncwright.connectors.xero.emulator.app import BASE, Emulator
from syncwright.connectors.xero.settings import XeroSettings

TENANT = "3b1b3e55-0000-4000-8000-000000000001"


@dataclass
class RecordingGate:
    statuses: list[int] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    acquired: int = 0

    async def acquire(self, cost: float = 1.0) -> None:
        self.acquired += 1

    def report(self, status: int, headers: Mapping[str, str], *, cost: float | None = None) -> None:
        self.statuses.append(status)
        self.headers.append({k.lower(): v for k, v in headers.items()})


@dataclass
class Running:
    emulator: Emulator
    url: str
    token_file: Path

    def connector(
        self,
        gate: Any = None,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        **settings: Any,
    ) -> XeroBooks:
        values: dict[str, Any] = {
            "tenant_id": TENANT,
            "token_url": f"{self.url}/connect/token",
            "token_file": self.token_file,
        }
        values.update(settings)
        spec = SystemSpec(
            name="books",
            kind="xero",
            url=f"{self.url}{BASE}",
            settings=XeroSettings(**values),
            secrets={"client_id": "client", "client_secret": "secret", "webhook_key": "hook"},
            timeout=timeout,
        )
        return XeroBooks(spec, gate or RecordingGate(), transport=transport)

    async def control(self, path: str, body: Any) -> Any:
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"{self.url}/_emulator/{path}", json=body)
            answer.raise_for_status()
            return answer.json()


@contextlib.asynccontextmanager
async def running(tmp: Path, **options: Any) -> AsyncIterator[Running]:
    emulator = Emulator(tenant_id=TENANT, refresh_token="first-refresh", **options)
    token_file = tmp / "xero-token.json"
    write_refresh_token(token_file, "first-refresh")
    async with anyio.create_task_group() as group:
        url = await group.start(serve_asgi, emulator.app, "127.0.0.1", 0)
        try:
            yield Running(emulator, url, token_file)
        finally:
            group.cancel_scope.cancel()


def items(count: int, *, tracked: bool = True, prefix: str = "SKU") -> list[dict[str, Any]]:
    return [
        {
            "Code": f"{prefix}-{n:05d}",
            "Name": f"Thing {n}",
            "IsTrackedAsInventory": tracked,
            "QuantityOnHand": float(n % 9),
            "SalesDetails": {"UnitPrice": 5 + n % 3, "AccountCode": "200"},
        }
        for n in range(count)
    ]


def contacts(count: int) -> list[dict[str, Any]]:
    return [
        {
            "Name": f"Person {n}",
            "FirstName": "P",
            "LastName": str(n),
            "EmailAddress": f"p{n}@x.test",
        }
        for n in range(count)
    ]


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)
