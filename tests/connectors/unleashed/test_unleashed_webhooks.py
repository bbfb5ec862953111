"""Unleashed webhooks: the signature over "{timestamp}.{body}", stale and forged deliveries
refused, notices by GUID, at most five subscriptions; and end to end, a product edited in the
emulator reaches the shop through a signed delivery to the daemon's listener (no pull runs)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import anyio
import pytest
from harness import Daemon, free_port, wait_until
from helpers import start_server
from test_daemon_unleashed import ENV, config, guid, shop_call
from unleashed_support import API_KEY, EmulatorProcess, raw, running

from syncwright.connectors.unleashed.notices import UnleashedWebhooks, signature
from syncwright.connectors.webhooks import Notice

NOW = 1_800_000_000.0


def headers(body: bytes, stamp: float = NOW, key: str = API_KEY) -> dict[str, str]:
    text = str(int(stamp))
    return {
        "x-unleashed-timestamp": text,
        "x-unleashed-signature": signature(key, text, body),
    }


def test_signature_freshness_and_notices() -> None:
    fmt = UnleashedWebhooks(clock=lambda: NOW)
    body = json.dumps({"eventId": "e1", "eventType": "product.updated", "data": {"Guid": "AB"}})
    raw_body = body.encode()
    assert fmt.verify(API_KEY, raw_body, headers(raw_body))
    assert not fmt.verify("other-key", raw_body, headers(raw_body))
    assert not fmt.verify(API_KEY, raw_body + b" ", headers(raw_body))
    assert not fmt.verify(API_KEY, raw_body, headers(raw_body, stamp=NOW - 301))
    assert not fmt.verify(API_KEY, raw_body, {"x-unleashed-timestamp": "x"})
    assert fmt.notices("product.updated", json.loads(body)) == [Notice("product", "ab")]
    customer = {"data": {"Guid": "C1"}}
    assert fmt.notices("customer.deleted", customer) == [Notice("customer", "c1")]
    assert fmt.notices("salesorder.created", customer) == []
    with pytest.raises(ValueError):
        fmt.notices("product.updated", {"data": {}})


def test_at_most_five_subscriptions() -> None:
    async def main() -> None:
        async with running() as emu:
            for n in range(5):
                body = {"NotificationUrl": f"http://127.0.0.1:9/{n}", "EventTypes": ["x"]}
                ok = await raw(emu, "POST", "/Webhooks/Subscriptions", json=body)
                assert ok.status_code == 201
            sixth = await raw(emu, "POST", "/Webhooks/Subscriptions", json=body)
            assert sixth.status_code == 400 and "5" in sixth.json()["Description"]

    anyio.run(main)


@pytest.mark.slow
def test_a_signed_delivery_brings_a_change_to_the_shop(tmp_path: Path) -> None:
    emu = EmulatorProcess(tmp_path, "--products", "5")
    shop = start_server("shop", tmp_path / "shop.db")
    port = free_port()
    path = config(tmp_path, emu, shop, '["products"]')
    hooks = f'[webhooks]\nenabled = true\nlisten = "127.0.0.1:{port}"\nretry_every = 1\n'
    path.write_text(hooks + path.read_text())
    try:
        Daemon(path, ENV).run_ok(timeout=180)
        subscription = {
            "NotificationUrl": f"http://127.0.0.1:{port}/webhooks/unleashed",
            "EventTypes": ["product.created", "product.updated", "product.deleted"],
        }
        emu.call("POST", "/Webhooks/Subscriptions", subscription)
        with Daemon(path, ENV).start() as daemon:
            daemon.wait_for_event("daemon.ready", timeout=60)
            emu.call(
                "POST",
                "/_emulator/product",
                {"Guid": guid("UL-00003"), "ProductCode": "UL-00003", "DefaultSellPrice": 42},
            )

            def price() -> bool:
                items = shop_call(shop, "GET", "/api/products", limit=500)["items"]
                held = {p["variants"][0]["sku"]: p for p in items}
                return Decimal(str(held["UL-00003"]["variants"][0]["price"])) == Decimal("42")

            wait_until(price, timeout=60, message="the webhook's change never reached the shop")
            daemon.stop()
        assert emu.call("GET", "/_emulator/stats")["webhooks_delivered"] == 1
    finally:
        shop.stop()
        emu.stop()
