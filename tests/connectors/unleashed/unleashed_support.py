"""Helpers for the Unleashed tests: an in-process emulator and a connector pointed at it, a
counting gate, and the emulator as a process."""

from __future__ import annotations

import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
from harness import start_listening, stop_process

from syncwright.connectors.base import CallGate, OpenGate, SystemSpec
from syncwright.connectors.unleashed.connector import UnleashedErp
from syncwright.connectors.unleashed.emulator.app import Emulator
from syncwright.connectors.unleashed.settings import UnleashedSettings
from syncwright.connectors.unleashed.wire import sign

API_ID = "3f1c2d4e-0000-4000-8000-00000000a11d"
API_KEY = "unleashed-test-key=="


class CountingGate:
    """Counts calls and remembers each reported status (a stand-in for the budget)."""

    def __init__(self) -> None:
        self.calls = 0
        self.statuses: list[int] = []

    async def acquire(self, cost: float = 1.0) -> None:
        self.calls += 1

    def report(self, status: int, headers: Mapping[str, str], *, cost: float | None = None) -> None:
        self.statuses.append(status)


@asynccontextmanager
async def running(
    warehouses: tuple[tuple[str, str], ...] = (
        ("MAIN", "Main warehouse"),
        ("NORTH", "North store"),
    ),
    products: int = 0,
    customers: int = 0,
    **options: Any,
) -> AsyncIterator[Emulator]:
    from syncwright.connectors.unleashed.emulator.seed import seed

    emulator = Emulator(api_id=API_ID, api_key=API_KEY, **options)
    seed(emulator.store, warehouses, products, customers)
    async with anyio.create_task_group() as tg:
        await tg.start(emulator.serve)
        try:
            yield emulator
        finally:
            tg.cancel_scope.cancel()


def erp(
    emulator: Emulator, gate: CallGate | None = None, timeout: float = 30.0, **settings: Any
) -> UnleashedErp:
    spec = SystemSpec(
        "unleashed",
        "unleashed",
        emulator.url,
        UnleashedSettings(**settings),
        {"api_id": API_ID, "api_key": API_KEY},
        timeout=timeout,
    )
    return UnleashedErp(spec, gate or OpenGate())


def signed_headers(query: str = "", key: str = API_KEY) -> dict[str, str]:
    return {
        "api-auth-id": API_ID,
        "api-auth-signature": sign(key, query),
        "accept": "application/json",
        "content-type": "application/json",
    }


async def raw(
    emulator: Emulator, method: str, path: str, query: str = "", **kw: Any
) -> httpx.Response:
    url = f"{emulator.url}{path}" + (f"?{query}" if query else "")
    headers = kw.pop("headers", None) or signed_headers(query)
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.request(method, url, headers=headers, **kw)


class EmulatorProcess:
    """``python -m syncwright.connectors.unleashed`` on a free port, its log in ``tmp``."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.log = tmp / "unleashed.log"
        command = [
            sys.executable,
            "-m",
            "syncwright.connectors.unleashed",
            "--api-id",
            API_ID,
            "--api-key",
            API_KEY,
            *args,
        ]
        self.proc, self.url = start_listening(command, self.log, "unleashed emulator")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method, f"{self.url}{path}", json=body, headers=signed_headers(), timeout=30
        )
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGINT, timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
