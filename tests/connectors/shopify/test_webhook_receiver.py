"""The daemon's webhook receiver on loopback: signatures, duplicates, size limit, bad bodies,
and stored events becoming jobs (with Shopify's inventory item resolved to a SKU)."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
from harness import async_wait_until, free_port, syncwright
from shopify_support import SECRET, TOKEN, channel, running, shopify_config

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

Body = Callable[[str, Store, Emulator], Awaitable[None]]


def serve(tmp: Path, body: Body, monkeypatch: Any) -> None:
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
                        await body(f"{url}/webhooks/shop", store, emu)
                    finally:
                        await shop.aclose()
                        store.stop_writes()
                        tg.cancel_scope.cancel()
            finally:
                await store.aclose()

    anyio.run(main)


def headers(
    body: bytes, topic: str = "products/update", delivery: str = "d-1", secret: str = SECRET
) -> dict[str, str]:
    return {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(secret, body),
        "X-Shopify-Webhook-Id": delivery,
        "X-Shopify-Triggered-At": "2026-01-01T00:00:00Z",
        "Content-Type": "application/json",
    }


def rows(tmp: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp / "state.db") as conn:
        return conn.execute(sql).fetchall()


PRODUCT = json.dumps({"id": 1, "title": "x", "variants": [{"sku": "A-1"}, {"sku": "A-2"}]}).encode()


def test_bad_signatures_store_nothing(tmp_path: Path, monkeypatch: Any) -> None:
    async def body(url: str, store: Store, emu: Emulator) -> None:
        async with httpx.AsyncClient() as client:
            wrong = await client.post(
                url, content=PRODUCT, headers=headers(PRODUCT, secret="other")
            )
            assert wrong.status_code == 401
            tampered = await client.post(url, content=PRODUCT + b" ", headers=headers(PRODUCT))
            assert tampered.status_code == 401
            missing = {k: v for k, v in headers(PRODUCT).items() if "Hmac" not in k}
            assert (await client.post(url, content=PRODUCT, headers=missing)).status_code == 401
            junk = {**headers(PRODUCT), "X-Shopify-Hmac-Sha256": "not base64!"}
            assert (await client.post(url, content=PRODUCT, headers=junk)).status_code == 401
            other = await client.post(
                url.replace("/shop", "/erp"), content=PRODUCT, headers=headers(PRODUCT)
            )
            assert other.status_code == 404  # the sandbox ERP sends no webhooks

    serve(tmp_path, body, monkeypatch)
    assert rows(tmp_path, "SELECT count(*) FROM events") == [(0,)]


def test_duplicates_are_stored_once_and_become_jobs(tmp_path: Path, monkeypatch: Any) -> None:
    async def body(url: str, store: Store, emu: Emulator) -> None:
        async with httpx.AsyncClient() as client:
            first = await client.post(url, content=PRODUCT, headers=headers(PRODUCT))
            again = await client.post(url, content=PRODUCT, headers=headers(PRODUCT))
            assert (first.status_code, first.json()["message"]) == (200, "stored")
            assert (again.status_code, again.json()["message"]) == (200, "duplicate")
        await async_wait_until(
            lambda: store.fetchall("SELECT id FROM events WHERE processed_at IS NOT NULL"),
            timeout=10,
            interval=0.05,
            message="no stored event was processed",
        )

    serve(tmp_path, body, monkeypatch)
    assert rows(tmp_path, "SELECT system, delivery_id, topic FROM events") == [
        ("shop", "d-1", "products/update")
    ]
    jobs = rows(tmp_path, "SELECT kind, class, payload FROM jobs ORDER BY id")
    assert [(k, c, json.loads(p)["id_or_sku"]) for k, c, p in jobs] == [("sync_item", 2, "A-1")]


def test_oversize_and_malformed_bodies(tmp_path: Path, monkeypatch: Any) -> None:
    async def body(url: str, store: Store, emu: Emulator) -> None:
        big = b'{"id": 1, "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
        async with httpx.AsyncClient() as client:
            assert (await client.post(url, content=big, headers=headers(big))).status_code == 413
            broken = b'{"id": 1, "variants": ['
            bad = await client.post(url, content=broken, headers=headers(broken, delivery="d-2"))
            assert bad.status_code == 400
            no_id = b"{}"
            missing = {k: v for k, v in headers(no_id).items() if k != "X-Shopify-Webhook-Id"}
            assert (await client.post(url, content=no_id, headers=missing)).status_code == 400
            # Valid JSON that does not say what changed: stored, answered, never a job.
            odd = json.dumps({"id": 5, "variants": "none"}).encode()
            assert (
                await client.post(url, content=odd, headers=headers(odd, delivery="d-3"))
            ).status_code == 200
        await async_wait_until(
            lambda: store.fetchall("SELECT id FROM events WHERE processed_at IS NOT NULL"),
            timeout=10,
            interval=0.05,
            message="no stored event was processed",
        )

    serve(tmp_path, body, monkeypatch)
    assert rows(tmp_path, "SELECT delivery_id, last_error FROM events") == [
        ("d-3", "unreadable payload: products/update without variants")
    ]
    assert rows(tmp_path, "SELECT count(*) FROM jobs") == [(0,)]


def test_inventory_notice_is_resolved_to_its_sku(tmp_path: Path, monkeypatch: Any) -> None:
    async def body(url: str, store: Store, emu: Emulator) -> None:
        shop = channel(emu)
        await shop.upsert_products(sample_products("RS", 1))
        await shop.aclose()
        item = emu.shop.item_by_sku("RS-0-1")
        assert item is not None
        payload = json.dumps(
            {"inventory_item_id": item["id"], "location_id": 1, "available": 3}
        ).encode()
        order = json.dumps({"id": 4242, "updated_at": "2026-01-01T00:00:00Z"}).encode()
        async with httpx.AsyncClient() as client:
            for n, (raw, topic) in enumerate(
                [(payload, "inventory_levels/update"), (order, "orders/create")]
            ):
                response = await client.post(
                    url, content=raw, headers=headers(raw, topic=topic, delivery=f"i-{n}")
                )
                assert response.status_code == 200

        async def both_processed() -> bool:
            done = await store.fetchall("SELECT id FROM events WHERE processed_at IS NOT NULL")
            return len(done) >= 2

        await async_wait_until(
            both_processed, timeout=10, interval=0.05, message="the two events were not processed"
        )

    serve(tmp_path, body, monkeypatch)
    jobs = {(k, c, p) for k, c, p in rows(tmp_path, "SELECT kind, class, payload FROM jobs")}
    assert (
        "sync_item",
        2,
        json.dumps({"flow": "stock", "id_or_sku": "RS-0-1", "stock": True}),
    ) in {(k, c, json.dumps(json.loads(p))) for k, c, p in jobs}
    assert any(k == "post_order" and json.loads(p)["order"] == "4242" for k, _, p in jobs)


def test_replay_events_marks_stored_events_pending_again(tmp_path: Path) -> None:
    import time

    from syncwright.daemon.store.db import connect_sync
    from syncwright.daemon.store.migrations import migrate

    config = shopify_config(
        tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9", webhook_port=free_port()
    )
    (tmp_path / "state").mkdir()
    conn = connect_sync(tmp_path / "state" / "state.db")
    migrate(conn, "test")
    now = time.time()
    with conn:
        for n, received in enumerate([now - 10, now - 3 * 86400]):
            conn.execute(
                "INSERT INTO events (system, delivery_id, topic, received_at, headers, body,"
                " processed_at)"
                " VALUES ('shop', ?, 'orders/create', ?, '{}', x'7b7d', ?)",
                (f"r-{n}", received, received),
            )
    conn.close()

    def replay(*args: str) -> str:
        result = syncwright("replay-events", "--config", str(config), *args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert replay().startswith("1 events queued again")  # the last 24 hours by default
    assert rows(
        tmp_path / "state", "SELECT delivery_id FROM events WHERE processed_at IS NULL"
    ) == [("r-0",)]
    assert replay("--all", "--system", "shop").startswith("2 events queued again")
    bad = syncwright("replay-events", "-c", str(config), "--system", "x")
    assert bad.returncode == 2 and "no system named 'x'" in bad.stderr


def test_an_echo_of_our_own_stock_write_queues_nothing(tmp_path: Path, monkeypatch: Any) -> None:
    async def body(url: str, store: Store, emu: Emulator) -> None:
        shop = channel(emu)  # location_map: WH -> "Main warehouse"
        await shop.upsert_products(sample_products("EC", 1))
        await shop.aclose()
        item = emu.shop.item_by_sku("EC-0-0")
        assert item is not None
        await store.write(
            lambda conn: conn.execute(
                "INSERT INTO stock_state (connection, sku, location, quantity, pushed_at)"
                " VALUES ('demo', 'EC-0-0', 'WH', 3, 0)"
            )
        )

        async def deliver(n: int, available: int) -> list[Any]:
            raw = json.dumps(
                {"inventory_item_id": item["id"], "location_id": emu.shop.primary_location,
                 "available": available}
            ).encode()  # fmt: skip
            hook = headers(raw, topic="inventory_levels/update", delivery=f"e-{n}")
            async with httpx.AsyncClient() as client:
                assert (await client.post(url, content=raw, headers=hook)).status_code == 200

            async def processed() -> bool:
                done = await store.fetchall("SELECT id FROM events WHERE processed_at > 0")
                return len(done) > n

            await async_wait_until(
                processed, timeout=10, interval=0.05, message=f"event e-{n} was not processed"
            )
            return await store.fetchall("SELECT kind, payload FROM jobs")

        assert await deliver(0, 3) == []  # what we pushed ourselves: an echo, no job
        drift = await deliver(1, 4)  # something else changed it: one repair job
        assert [(r["kind"], json.loads(r["payload"])["id_or_sku"]) for r in drift] == [
            ("sync_item", "EC-0-0")
        ]

    serve(tmp_path, body, monkeypatch)


def test_processed_events_are_pruned_after_keep_days(tmp_path: Path, monkeypatch: Any) -> None:
    import time

    from syncwright.daemon.webhooks.dispatch import EventDispatcher

    monkeypatch.setenv("SYNCWRIGHT_TEST_KEY", "k")
    config = load_config(shopify_config(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9"))
    now = time.time()

    async def main() -> int:
        store = await Store.open(tmp_path / "state.db")
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                for n, (age, done) in enumerate([(40, True), (40, False), (2, True)]):
                    received = now - age * 86400
                    await store.write(
                        lambda conn, n=n, received=received, done=done: conn.execute(
                            "INSERT INTO events (system, delivery_id, topic, received_at, headers,"
                            " body, processed_at) VALUES ('shop', ?, 't', ?, '{}', x'7b7d', ?)",
                            (f"p-{n}", received, received if done else None),
                        )
                    )
                clock = SystemClock()
                dispatcher = EventDispatcher(store, Queue(store, clock), clock, lambda: config, {})
                deleted = await dispatcher.prune()
                store.stop_writes()
                return deleted
        finally:
            await store.aclose()

    assert anyio.run(main) == 1  # old and processed; the old pending one stays
    assert rows(tmp_path, "SELECT delivery_id FROM events ORDER BY id") == [("p-1",), ("p-2",)]
