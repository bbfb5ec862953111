"""Helpers for the SparkLayer tests: the emulator in process and as a process, a connector
pointed at it, and a daemon config between the sandbox ERP and it."""

from __future__ import annotations

import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
from harness import Daemon, config_file, start_listening, stop_process
from helpers import SANDBOX_ENV

from syncwright.connectors.base import CallGate, OpenGate, SystemSpec
from syncwright.connectors.sparklayer.connector import SparkLayerChannel
from syncwright.connectors.sparklayer.emulator.app import Emulator
from syncwright.connectors.sparklayer.settings import SparkLayerSettings

SITE = "demo-site"
CLIENT_ID = "sl-client-id"
CLIENT_SECRET = "sl-client-secret"
T = TypeVar("T")


@asynccontextmanager
async def running(**options: Any) -> AsyncIterator[Emulator]:
    options.setdefault("rate_limit", 100_000)
    emulator = Emulator(site_id=SITE, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **options)
    async with anyio.create_task_group() as tg:
        await tg.start(emulator.serve)
        try:
            yield emulator
        finally:
            tg.cancel_scope.cancel()


def channel(
    emulator: Emulator, gate: CallGate | None = None, timeout: float = 30.0, **settings: Any
) -> SparkLayerChannel:
    settings.setdefault("location_map", {"WH": "main"})
    settings.setdefault("price_list_name", "Sandbox Price")
    spec = SystemSpec(
        "portal",
        "sparklayer",
        emulator.url,
        SparkLayerSettings(site_id=SITE, **settings),
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=timeout,
    )
    return SparkLayerChannel(spec, gate or OpenGate())


def run(fn: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(fn)


class EmulatorProcess:
    """``python -m syncwright.connectors.sparklayer`` on a free port, its log in ``tmp``."""

    def __init__(self, tmp: Path, *args: str) -> None:
        command = [
            sys.executable,
            "-m",
            "syncwright.connectors.sparklayer",
            "--site-id",
            SITE,
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            *args,
        ]
        self.proc, self.url = start_listening(command, tmp / "sparklayer.log", "emulator")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, f"{self.url}{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", "/_emulator/state")
        return result

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGINT, timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def sparklayer_config(
    tmp: Path,
    erp_url: str,
    portal_url: str,
    *,
    flows: str = '"products", "stock", "prices", "customers", "settings"',
    head: str = "",
    minute_limit: int = 60000,
    extra: str = "",
) -> Path:
    return config_file(
        tmp,
        f"""
        {extra}
        [systems.erp]
        kind = "sandbox-erp"
        url = "{erp_url}"
        credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}
        [systems.erp.budget.windows.minute]
        limit = 100000

        [systems.portal]
        kind = "sparklayer"
        url = "{portal_url}"
        credentials.client_id = {{ env = "SPARKLAYER_TEST_ID" }}
        credentials.client_secret = {{ env = "SPARKLAYER_TEST_SECRET" }}
        [systems.portal.budget.windows.minute]
        limit = {minute_limit}
        [systems.portal.settings]
        site_id = "{SITE}"
        price_list_name = "Sandbox Price"
        currency = "EUR"
        location_map = {{ central = "main", north = "north" }}

        [connections.demo]
        source = "erp"
        channel = "portal"
        flows = [{flows}]
        page_size = 50
        overlap = "2m"
        workers = 4
        [connections.demo.schedule]
        recent = "2s"
        """,
        head=head,
    )


def sparklayer_daemon(config: Path) -> Daemon:
    return Daemon(
        config,
        {**SANDBOX_ENV, "SPARKLAYER_TEST_ID": CLIENT_ID, "SPARKLAYER_TEST_SECRET": CLIENT_SECRET},
    )
