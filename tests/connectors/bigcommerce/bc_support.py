"""Helpers for the BigCommerce tests: an in-process emulator and a connector pointed at it; the
emulator as a process; a config and the daemon between it and the sandbox ERP."""

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
from syncwright.connectors.bigcommerce.connector import BigCommerceConnector
from syncwright.connectors.bigcommerce.emulator.app import Emulator
from syncwright.connectors.bigcommerce.emulator.quota import Quota
from syncwright.connectors.bigcommerce.settings import BigCommerceSettings

TOKEN = "bc_test_token"
SECRET = "bc_test_secret"
T = TypeVar("T")


@asynccontextmanager
async def running(**options: Any) -> AsyncIterator[Emulator]:
    quota = options.pop("quota", None) or Quota(quota=1_000_000)
    emulator = Emulator(token=TOKEN, secret=SECRET, quota=quota, **options)
    async with anyio.create_task_group() as tg:
        await tg.start(emulator.serve)
        try:
            yield emulator
        finally:
            tg.cancel_scope.cancel()


def connector(
    emulator: Emulator, gate: CallGate | None = None, timeout: float = 30.0, **settings: Any
) -> BigCommerceConnector:
    settings.setdefault("location_map", {"WH": "Default location"})
    spec = SystemSpec(
        "bc",
        "bigcommerce",
        emulator.base,
        BigCommerceSettings(**settings),
        {"access_token": TOKEN, "client_secret": SECRET},
        timeout=timeout,
    )
    return BigCommerceConnector(spec, gate or OpenGate())


def run(fn: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(fn)


class EmulatorProcess:
    """``python -m syncwright.connectors.bigcommerce`` on a free port, its log in ``tmp``."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.log = tmp / "bc-emulator.log"
        command = [
            sys.executable,
            "-m",
            "syncwright.connectors.bigcommerce",
            "--token",
            TOKEN,
            "--secret",
            SECRET,
            *args,
        ]
        self.proc, self.url = start_listening(command, self.log, "emulator")
        self.base = f"{self.url}/stores/abc123"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method, f"{self.url}{path}", json=body, headers={"X-Auth-Token": TOKEN}, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGINT, timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def bc_config(
    tmp: Path,
    erp_url: str,
    bc_base: str,
    *,
    webhook_port: int | None = None,
    flows: str = '"products", "stock", "prices", "orders"',
    extra_head: str = "",
) -> Path:
    hooks = (
        f'[webhooks]\nenabled = true\nlisten = "127.0.0.1:{webhook_port}"\nretry_every = 1\n'
        if webhook_port
        else ""
    )
    return config_file(
        tmp,
        f"""
        [systems.erp]
        kind = "sandbox-erp"
        url = "{erp_url}"
        credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}
        [systems.erp.budget.windows.minute]
        limit = 100000

        [systems.bc]
        kind = "bigcommerce"
        url = "{bc_base}"
        credentials.access_token = {{ env = "BC_TEST_TOKEN" }}
        credentials.client_secret = {{ env = "BC_TEST_SECRET" }}
        [systems.bc.budget.windows.second]
        limit = 5
        [systems.bc.budget.windows.minute]
        limit = 300
        [systems.bc.settings]
        location_map = {{ central = "Default location", north = "North store" }}
        price_list = "Sandbox Price"

        [connections.demo]
        source = "erp"
        channel = "bc"
        flows = [{flows}]
        page_size = 50
        overlap = "2m"
        workers = 4
        [connections.demo.schedule]
        recent = "2s"
        """,
        head=hooks + extra_head,
    )


def bc_daemon(config: Path) -> Daemon:
    return Daemon(config, {**SANDBOX_ENV, "BC_TEST_TOKEN": TOKEN, "BC_TEST_SECRET": SECRET})
