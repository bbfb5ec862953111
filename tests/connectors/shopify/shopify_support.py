"""Helpers for the Shopify tests: an in-process emulator and a connector pointed at it; the
emulator as a process, and a config and the daemon (tests/harness.py) between it and the
sandbox ERP."""

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
from syncwright.connectors.shopify.connector import ShopifyChannel
from syncwright.connectors.shopify.emulator.app import Emulator
from syncwright.connectors.shopify.emulator.bucket import Bucket
from syncwright.connectors.shopify.settings import ShopifySettings

TOKEN = "shpat_test_token"
SECRET = "shpss_test_secret"
T = TypeVar("T")


@asynccontextmanager
async def running(**options: Any) -> AsyncIterator[Emulator]:
    bucket = options.pop("bucket", None) or Bucket()
    emulator = Emulator(token=TOKEN, secret=SECRET, bucket=bucket, **options)
    async with anyio.create_task_group() as tg:
        await tg.start(emulator.serve)
        try:
            yield emulator
        finally:
            tg.cancel_scope.cancel()


def channel(
    emulator: Emulator,
    version: str = "2026-01",
    gate: CallGate | None = None,
    timeout: float = 30.0,
    **settings: Any,
) -> ShopifyChannel:
    spec = SystemSpec(
        "shop",
        "shopify",
        emulator.url,
        ShopifySettings(api_version=version, location_map={"WH": "Main warehouse"}, **settings),
        {"access_token": TOKEN, "client_secret": SECRET},
        timeout=timeout,
    )
    return ShopifyChannel(spec, gate or OpenGate())


def run(fn: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(fn)


async def post(emulator: Emulator, query: str, variables: Any = None, **kw: Any) -> httpx.Response:
    version = kw.pop("version", "2026-01")
    headers = kw.pop("headers", {"X-Shopify-Access-Token": TOKEN})
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(
            f"{emulator.url}/admin/api/{version}/graphql.json",
            json={"query": query, "variables": variables or {}},
            headers=headers,
        )


# -- the emulator and the daemon as processes --------------------------------------------------


class EmulatorProcess:
    """``python -m syncwright.connectors.shopify`` on a free port, its log in ``tmp``."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.log = tmp / "emulator.log"
        command = [
            sys.executable,
            "-m",
            "syncwright.connectors.shopify",
            "--token",
            TOKEN,
            "--secret",
            SECRET,
            *args,
        ]
        self.proc, self.url = start_listening(command, self.log, "emulator")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method,
            f"{self.url}{path}",
            json=body,
            headers={"X-Shopify-Access-Token": TOKEN},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGINT, timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def shopify_config(
    tmp: Path, erp_url: str, shop_url: str, *, webhook_port: int | None = None
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

        [systems.shop]
        kind = "shopify"
        url = "{shop_url}"
        credentials.access_token = {{ env = "SHOPIFY_TEST_TOKEN" }}
        credentials.client_secret = {{ env = "SHOPIFY_TEST_SECRET" }}
        [systems.shop.budget.windows.minute]
        limit = 60000
        [systems.shop.settings]
        api_version = "2026-01"
        location_map = {{ central = "Main warehouse", north = "North store" }}

        [connections.demo]
        source = "erp"
        channel = "shop"
        flows = ["products", "stock", "prices", "orders"]
        page_size = 50
        overlap = "2m"
        workers = 4
        [connections.demo.schedule]
        recent = "2s"
        """,
        head=hooks,
    )


def shopify_daemon(config: Path) -> Daemon:
    """The daemon on a :func:`shopify_config`, the credentials it names in its environment."""
    return Daemon(
        config, {**SANDBOX_ENV, "SHOPIFY_TEST_TOKEN": TOKEN, "SHOPIFY_TEST_SECRET": SECRET}
    )
