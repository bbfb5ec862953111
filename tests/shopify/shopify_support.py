"""Helpers for the Shopify tests: an in-process emulator and a connector pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
import httpx

from connectors.base import CallGate, OpenGate, SystemSpec
from connectors.shopify.connector import ShopifyChannel
from connectors.shopify.emulator import Emulator
from connectors.shopify.emulator_bucket import Bucket

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
    **settings: Any,
) -> ShopifyChannel:
    spec = SystemSpec(
        "shop",
        "shopify",
        {
            "url": emulator.url,
            "api_version": version,
            "location_map": {"WH": "Main warehouse"},
            **settings,
        },
        {"access_token": TOKEN, "client_secret": SECRET},
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
