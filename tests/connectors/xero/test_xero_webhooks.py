"""Xero webhooks through the daemon's receiver on loopback: the real signature, the Intent to
Receive handshake (200 or 401 with an empty body), deliveries stored once, CONTACT events
becoming customer event jobs, INVOICE events none."""

from __future__ import annotations

import json
import random
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from harness import async_wait_until, config_file, free_port

from syncwright.connectors.xero.webhooks import FORMAT, sign
from syncwright.daemon import runtime
from syncwright.daemon.actor import Services
from syncwright.daemon.clock import SystemClock
from syncwright.daemon.config.load import load_config
from syncwright.daemon.config.secrets import resolve_secrets
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.store.db import Store
from syncwright.daemon.webhooks import listener as webhooks

KEY = "hook-key-for-tests"
CONTACT = "8f0c6f5a-1111-4000-8000-00000000c0de"


def delivery(*events: dict[str, Any], entropy: str = "FXNGWLCCGVANWHKILRUB") -> bytes:
    return json.dumps(
        {
            "events": list(events),
            "firstEventSequence": 1,
            "lastEventSequence": len(events),
            "entropy": entropy,
        }
    ).encode()


def event(category: str, resource: str) -> dict[str, Any]:
    return {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/{category.title()}s/{resource}",
        "resourceId": resource,
        "tenantId": "3b1b3e55-0000-4000-8000-000000000001",
        "tenantType": "ORGANISATION",
        "eventCategory": category,
        "eventType": "UPDATE",
        "eventDateUtc": "2026-12-02T00:44:09.923",
    }


def serve(tmp: Path, body: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("SYNCWRIGHT_TEST_KEY", "k")
    monkeypatch.setenv("XERO_HOOK", KEY)
    config_path = config_file(
        tmp,
        textwrap.dedent("""
        [systems.books]
        kind = "xero"
        url = "http://127.0.0.1:9/api.xro/2.0"
        credentials.client_id = { env = "SYNCWRIGHT_TEST_KEY" }
        credentials.client_secret = { env = "SYNCWRIGHT_TEST_KEY" }
        credentials.webhook_key = { env = "XERO_HOOK" }
        [systems.books.settings]
        tenant_id = "t"
        grant = "client_credentials"

        [systems.shop]
        kind = "sandbox-shop"
        url = "http://127.0.0.1:9"
        credentials = { api_key = { env = "SYNCWRIGHT_TEST_KEY" } }

        [connections.demo]
        source = "books"
        channel = "shop"
        flows = ["customers", "orders"]
        """),
        head=f'[webhooks]\nenabled = true\nlisten = "127.0.0.1:{free_port()}"\nretry_every = 1\n',
    )
    config = load_config(config_path)

    async def main() -> None:
        store = await Store.open(tmp / "state.db")
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                clock = SystemClock()
                services = Services(
                    store,
                    Queue(store, clock),
                    clock,
                    runtime.retry_policy(config),
                    {},
                    {},
                    random.Random(),
                )
                url = await webhooks.start(
                    tg, services, lambda: config, lambda: resolve_secrets(config)
                )
                try:
                    await body(f"{url}/webhooks/books", store)
                finally:
                    store.stop_writes()
                    tg.cancel_scope.cancel()
        finally:
            await store.aclose()

    anyio.run(main)


def rows(tmp: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp / "state.db") as conn:
        return conn.execute(sql).fetchall()


def test_intent_to_receive_is_answered_with_empty_bodies(tmp_path: Path, monkeypatch: Any) -> None:
    async def body(url: str, store: Store) -> None:
        probe = delivery()
        async with httpx.AsyncClient() as client:
            good = await client.post(
                url, content=probe, headers={"x-xero-signature": sign(KEY, probe)}
            )
            bad = await client.post(
                url, content=probe, headers={"x-xero-signature": sign("wrong", probe)}
            )
            none = await client.post(url, content=probe)
        assert (good.status_code, good.content) == (200, b"")
        assert (bad.status_code, bad.content) == (401, b"")
        assert (none.status_code, none.content) == (401, b"")

    serve(tmp_path, body, monkeypatch)
    assert rows(tmp_path, "SELECT topic FROM events") == [("xero",)]


def test_contact_events_become_customer_jobs_once(tmp_path: Path, monkeypatch: Any) -> None:
    async def body(url: str, store: Store) -> None:
        sent = delivery(event("CONTACT", CONTACT), event("INVOICE", "inv-1"))
        signed = {"x-xero-signature": sign(KEY, sent)}
        async with httpx.AsyncClient() as client:
            first = await client.post(url, content=sent, headers=signed)
            again = await client.post(url, content=sent, headers=signed)
        assert first.status_code == again.status_code == 200
        await async_wait_until(
            lambda: store.fetchall("SELECT id FROM events WHERE processed_at IS NOT NULL"),
            timeout=10,
            interval=0.05,
            message="the delivery was never processed",
        )

    serve(tmp_path, body, monkeypatch)
    assert len(rows(tmp_path, "SELECT id FROM events")) == 1
    jobs = rows(tmp_path, "SELECT kind, payload FROM jobs")
    assert len(jobs) == 1 and jobs[0][0] == "event" and CONTACT in jobs[0][1]


def test_the_format_verifies_real_signatures_and_reads_events() -> None:
    body = delivery(event("CONTACT", CONTACT))
    assert FORMAT.verify(KEY, body, {"x-xero-signature": sign(KEY, body)})
    assert not FORMAT.verify(KEY, body + b" ", {"x-xero-signature": sign(KEY, body)})
    assert not FORMAT.verify(KEY, body, {"x-xero-signature": "not base64!"})
    notices = FORMAT.notices("xero", json.loads(body))
    assert [(n.entity, n.id) for n in notices] == [("customer", CONTACT)]
    assert FORMAT.identify(body, {}) == FORMAT.identify(body, {})
    assert FORMAT.identify(body, {}) != FORMAT.identify(delivery(entropy="OTHER"), {})
    with pytest.raises(ValueError):
        FORMAT.notices("xero", {"events": "no"})
