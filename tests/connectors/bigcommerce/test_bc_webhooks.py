"""BigCommerce webhooks: the Standard Webhooks signature (checked here by hand, not with the
emulator's own signer), thin payloads -> notices, and deliveries through a real daemon: a
stock edit on the store is repaired, an order is posted at once, duplicates are stored once."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import httpx
import pytest
from bc_support import SECRET, EmulatorProcess, bc_config, bc_daemon
from harness import free_port, wait_until
from helpers import api, start_server, state
from test_daemon_bigcommerce import assert_store_matches_erp, catalogue

from syncwright.connectors.bigcommerce.notices import BigCommerceWebhooks
from syncwright.connectors.webhooks import Notice

NOW = 1_800_000_000


def signed(body: bytes, msg_id: str = "msg_1", stamp: int = NOW, secret: str = SECRET) -> dict:
    mac = hmac.new(secret.encode(), f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": "v1," + base64.b64encode(mac.digest()).decode(),
    }


def test_the_signature_is_checked_the_standard_webhooks_way() -> None:
    fmt = BigCommerceWebhooks(clock=lambda: NOW + 10)
    body = b'{"scope":"store/order/created","data":{"type":"order","id":7}}'
    assert fmt.verify(SECRET, body, signed(body))
    assert not fmt.verify("other", body, signed(body))
    assert not fmt.verify(SECRET, body + b" ", signed(body))
    assert not fmt.verify(SECRET, body, signed(body, stamp=NOW - 3600))  # a replay
    rotated = signed(body)
    rotated["webhook-signature"] = "v1,bm9wZQ== " + rotated["webhook-signature"]
    assert fmt.verify(SECRET, body, rotated)  # one matching signature of several is enough
    assert not fmt.verify(SECRET, body, {**signed(body), "webhook-signature": "v1,@@@"})
    assert fmt.topic_of(body) == "store/order/created" and fmt.topic_of(b"[") == ""


def test_thin_payloads_become_notices() -> None:
    fmt = BigCommerceWebhooks()
    stock = {
        "data": {
            "type": "sku",
            "id": 5,
            "inventory": {"variant_id": 5, "location_id": 2, "method": "absolute", "value": 9},
        }
    }
    assert fmt.notices("store/sku/inventory/updated", stock) == [
        Notice("inventory_item", "5", location="2", quantity=9)
    ]
    assert fmt.notices("store/order/updated", {"data": {"id": 8}}) == [Notice("order", "8")]
    assert fmt.notices("store/customer/updated", {"data": {"id": 3}}) == [Notice("customer", "3")]
    assert fmt.notices("store/product/updated", {"data": {"id": 3}}) == []
    with pytest.raises(ValueError):
        fmt.notices("store/order/created", {"data": {}})


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_deliveries_reach_the_daemon_once_and_are_applied(tmp_path: Path) -> None:
    erp = start_server(
        "erp",
        tmp_path / "erp.db",
        "--products",
        "6",
        "--variants-per-product",
        "2",
        "--customers",
        "0",
    )
    emu = EmulatorProcess(tmp_path)
    port = free_port()
    try:
        emu.call("POST", "/_emulator/locations", {"label": "North store"})
        config = bc_config(tmp_path, erp.url, emu.base, webhook_port=port)
        emu.call(
            "POST",
            "/_emulator/hooks",
            {"url": f"http://127.0.0.1:{port}/webhooks/bc", "duplicates": 2},
        )
        with bc_daemon(config).start() as daemon:
            wait_until(
                lambda: assert_store_matches_erp(erp.url, emu) is None,
                timeout=120,
                interval=0.5,
                ignoring=(AssertionError, KeyError, httpx.HTTPError),
            )
            product = next(iter(catalogue(emu).values()))
            sku = product["variants"][0]["sku"]
            want = product["variants"][0]["levels"]["Default location"]
            emu.call("POST", "/_emulator/stock", {"sku": sku, "quantity": want + 500})

            def level() -> int:
                found = {v["sku"]: v for p in catalogue(emu).values() for v in p["variants"]}
                return int(found[sku]["levels"]["Default location"])

            wait_until(
                lambda: level() == want,
                timeout=60,
                interval=0.3,
                message=lambda: daemon.log()[-4000:],
            )
            order = emu.call(
                "POST",
                "/_emulator/orders",
                {"lines": [{"sku": sku, "quantity": 2}], "email": "hook@example.com"},
            )
            wait_until(
                lambda: api(erp.url, "GET", f"/api/orders/by-ref/bc:{order['id']}"),
                timeout=60,
                interval=0.3,
                ignoring=(httpx.HTTPStatusError,),
                message="the order never reached the ERP",
            )
            # Every delivery came twice (duplicates=2): the second of each was not stored.
            wait_until(lambda: daemon.events("webhook.duplicate"), timeout=30, interval=0.3)
            stored = len(daemon.events("webhook.stored"))
            daemon.stop()
        rows = state(config, "SELECT count(*) FROM events")
        assert rows == [(stored,)]
        stats = emu.call("GET", "/_emulator/stats")
        assert stats["webhooks_failed"] == 0 and stats["rejected"] == 0, stats
        repairs = state(
            config,
            "SELECT state FROM jobs WHERE kind = 'sync_item' AND class = 2 AND payload LIKE ?",
            (f'%"{sku}"%',),
        )
        assert ("done",) in repairs  # the webhook's job repaired it, not a sweep
    finally:
        emu.stop()
        erp.stop()
