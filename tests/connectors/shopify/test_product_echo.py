"""A products/update webhook that only reports our own productSet queues no check; an edit
made on Shopify after our write is checked; notices of one product coalesce while pending."""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
from harness import async_wait_until, free_port
from shopify_support import SECRET, TOKEN, channel, running, shopify_config

from syncwright.connectors.shopify.connector import ShopifyChannel
from syncwright.connectors.shopify.emulator.app import Emulator
from syncwright.connectors.shopify.emulator.webhooks import sign
from syncwright.connectors.testing import sample_products
from syncwright.daemon import runtime
from syncwright.daemon.actor import Services
from syncwright.daemon.clock import SystemClock
from syncwright.daemon.config.load import load_config
from syncwright.daemon.config.secrets import resolve_secrets
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.store.db import Store
from syncwright.daemon.webhooks import listener as webhooks

Body = Callable[[str, Store, Emulator, ShopifyChannel], Awaitable[None]]


def serve(tmp: Path, body: Body, monkeypatch: Any) -> None:
    """The receiver and dispatcher of a daemon whose channel connector ``body`` writes with."""
    monkeypatch.setenv("SYNCWRIGHT_TEST_KEY", "k")
    monkeypatch.setenv("SHOPIFY_TEST_TOKEN", TOKEN)
    monkeypatch.setenv("SHOPIFY_TEST_SECRET", SECRET)

    async def main() -> None:
        async with running() as emu:
            config = load_config(
                shopify_config(tmp, "http://127.0.0.1:9", emu.url, webhook_port=free_port())
            )
            store = await Store.open(tmp / "state.db")
            try:
                async with anyio.create_task_group() as tg:
                    await tg.start(store.serve)
                    clock = SystemClock()
                    shop = channel(emu)
                    services = Services(
                        store,
                        Queue(store, clock),
                        clock,
                        runtime.retry_policy(config),
                        {},
                        {"shop": shop},
                        random.Random(),
                    )
                    url = await webhooks.start(
                        tg, services, lambda: config, lambda: resolve_secrets(config)
                    )
                    try:
                        await body(f"{url}/webhooks/shop", store, emu, shop)
                    finally:
                        await shop.aclose()
                        store.stop_writes()
                        tg.cancel_scope.cancel()
            finally:
                await store.aclose()

    anyio.run(main)


async def deliver(url: str, store: Store, payload: dict[str, Any], n: int) -> list[Any]:
    """Post one products/update delivery, wait until it is processed; the jobs queued."""
    raw = json.dumps(payload).encode()
    hook = {
        "X-Shopify-Topic": "products/update",
        "X-Shopify-Hmac-Sha256": sign(SECRET, raw),
        "X-Shopify-Webhook-Id": f"p-{n}",
        "Content-Type": "application/json",
    }
    async with httpx.AsyncClient() as client:
        assert (await client.post(url, content=raw, headers=hook)).status_code == 200

    async def processed() -> bool:
        done = await store.fetchall("SELECT id FROM events WHERE processed_at > 0")
        return len(done) > n

    await async_wait_until(
        processed, timeout=10, interval=0.05, message=f"event p-{n} was not processed"
    )
    rows = await store.fetchall("SELECT kind, state, payload FROM jobs ORDER BY id")
    return [(r["kind"], r["state"], json.loads(r["payload"])["id_or_sku"]) for r in rows]


def payload_of(emu: Emulator, sku: str) -> dict[str, Any]:
    item = emu.shop.item_by_sku(sku)
    assert item is not None
    variant = next(v for v in emu.shop.variants.values() if v["id"] == item["variant"])
    return emu.shop.product_payload(emu.shop.products[variant["product"]])


def test_the_echo_of_our_product_write_queues_no_check(tmp_path: Path, monkeypatch: Any) -> None:
    async def body(url: str, store: Store, emu: Emulator, shop: ShopifyChannel) -> None:
        (product,) = sample_products("PE", 1)
        results = await shop.upsert_products([product])
        assert all(r.ok for r in results)
        sku = sorted(v.sku for v in product.variants if v.sku)[0]
        echo = payload_of(emu, sku)
        assert await deliver(url, store, echo, 0) == []  # what we wrote ourselves
        edited = {**echo, "title": "Renamed on Shopify"}  # a person edits it afterwards
        assert await deliver(url, store, edited, 1) == [("sync_item", "pending", sku)]
        repriced = {**echo, "variants": [{**echo["variants"][0], "price": "999.00"}]}
        repriced["variants"] += echo["variants"][1:]
        # a second edit while the first check is pending: one check, not two
        assert await deliver(url, store, repriced, 2) == [("sync_item", "pending", sku)]

    serve(tmp_path, body, monkeypatch)


def test_a_restarted_daemon_checks_an_echo_it_cannot_recognise(
    tmp_path: Path, monkeypatch: Any
) -> None:
    async def body(url: str, store: Store, emu: Emulator, shop: ShopifyChannel) -> None:
        (product,) = sample_products("PR", 1)
        writer = channel(emu)  # another process wrote it: this one has no digest of it
        try:
            assert all(r.ok for r in await writer.upsert_products([product]))
        finally:
            await writer.aclose()
        sku = sorted(v.sku for v in product.variants if v.sku)[0]
        assert await deliver(url, store, payload_of(emu, sku), 0) == [("sync_item", "pending", sku)]

    serve(tmp_path, body, monkeypatch)
