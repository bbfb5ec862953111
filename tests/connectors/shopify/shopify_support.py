"""Helpers for the Shopify tests: an in-process emulator and a connector pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
import httpx

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


def free_port() -> int:
    """A port nobody listens on right now (the daemon's webhook listener needs a fixed one)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class EmulatorProcess:
    def __init__(self, tmp: Any, *args: str) -> None:
        import subprocess
        import sys
        import time

        from helpers import ROOT

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
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT
            )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("listening on "):
                self.url = line.split()[-1].strip()
                return
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"emulator did not start: {line!r} {self.log.read_text()[-2000:]}")

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
        import signal
        import subprocess

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def shopify_config(
    tmp: Any, erp_url: str, shop_url: str, *, webhook_port: int | None = None
) -> Any:
    import textwrap

    hooks = (
        f'[webhooks]\nenabled = true\nlisten = "127.0.0.1:{webhook_port}"\nretry_every = 1\n'
        if webhook_port
        else ""
    )
    text = textwrap.dedent(f"""
        [daemon]
        state_file = "state/state.db"
        log_format = "json"
        log_level = "info"
        shutdown_grace = "10s"

        [sandbox]
        enabled = false

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
        """)
    path = tmp / "config.toml"
    path.write_text(hooks + text)
    return path


def env() -> dict[str, str]:
    from helpers import daemon_env

    values = daemon_env()
    values["SHOPIFY_TEST_TOKEN"] = TOKEN
    values["SHOPIFY_TEST_SECRET"] = SECRET
    return values
