"""X-Series webhooks: form-encoded deliveries unwrapped, told apart without their type field,
deduplicated by body, accepted only at the URL carrying the system's key; end to end, a
change in X-Series reaches the shop through its webhook, without waiting for a pull."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from harness import free_port, wait_until
from helpers import api, start_server, state
from lx_support import HOOK_KEY
from test_lsx_daemon import XSeries, daemon, lsx_config

from syncwright.connectors.lightspeed_x.notices import FORMAT
from syncwright.connectors.webhooks import Notice


def form(payload: dict[str, Any], **fields: str) -> bytes:
    return urlencode({"payload": json.dumps(payload), **fields}).encode()


def test_deliveries_unwrap_to_notices() -> None:
    body = form({"id": "p1", "handle": "tee", "sku": "TEE-S"}, type="product.update")
    topic, delivery, raw = FORMAT.unwrap(body, {})
    assert topic == "product.update" and len(delivery) == 64
    assert FORMAT.unwrap(body, {})[1] == delivery  # a retry is the same delivery
    assert FORMAT.notices(topic, json.loads(raw)) == [Notice("product", "TEE-S")]
    # no type field: told by the payload's shape
    stock = form({"id": "i", "product_id": "p1", "outlet_id": "o1", "count": 4})
    topic, _, raw = FORMAT.unwrap(stock, {})
    assert topic == "inventory.update"
    assert FORMAT.notices(topic, json.loads(raw)) == [
        Notice("inventory_item", "p1", location="o1", quantity=4)
    ]
    topic, _, raw = FORMAT.unwrap(form({"id": "c1", "customer_code": "K"}), {})
    assert FORMAT.notices(topic, json.loads(raw)) == [Notice("customer", "c1")]
    topic, _, raw = FORMAT.unwrap(form({"id": "s", "register_id": "r"}), {})
    assert topic == "sale.update" and FORMAT.notices(topic, json.loads(raw)) == []
    for bad in (b"\xff\xfe", b"nopayload=1", form({"x": 1}), b"payload=%5B1%5D", b"payload=no"):
        with pytest.raises(ValueError):
            FORMAT.unwrap(bad, {})
    with pytest.raises(ValueError, match="without the id"):
        FORMAT.notices("product.update", {"handle": "x"})


@pytest.mark.slow
def test_a_change_arrives_by_webhook(tmp_path: Path) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/webhooks/pos"
    pos = XSeries(tmp_path, "--products", "4", "--variants", "2")
    shop = start_server("shop", tmp_path / "shop.db")
    try:
        config = lsx_config(tmp_path, pos.url, shop.url, webhook_port=port)
        with daemon(config).start() as running:
            wait_until(
                lambda: api(shop, "GET", "/api/inventory", skus="LX-00001-1")["items"],
                timeout=120, interval=0.5, ignoring=(httpx.HTTPError,),
                message=lambda: running.log()[-3000:],
            )  # fmt: skip
            # no key, or the wrong one: refused, nothing stored
            for url in (hook, f"{hook}?key=wrong"):
                answer = httpx.post(url, content=form({"id": "x", "handle": "h"}), timeout=10)
                assert answer.status_code == 401
            pos.call("POST", "/_emulator/webhooks", {"url": f"{hook}?key={HOOK_KEY}",
                                                     "omit_type": True})  # fmt: skip
            pulls = "SELECT count(*) FROM jobs WHERE kind = 'pull'"
            before = state(config, pulls)
            pos.call("POST", "/_emulator/stock", {"sku": "LX-00001-1", "amount": 42})

            def level() -> int:
                items = api(shop, "GET", "/api/inventory", skus="LX-00001-1")["items"]
                return int(items[0]["quantity"])

            wait_until(lambda: level() == 42, timeout=60, interval=0.3,
                       message=lambda: running.log()[-4000:])  # fmt: skip
            # it came through the event, not a pull (recent pulls are hourly here)
            assert state(config, pulls) == before
        events = state(config, "SELECT topic, processed_at IS NOT NULL, last_error FROM events")
        assert ("inventory.update", 1, None) in events
        jobs = state(config, "SELECT state FROM jobs WHERE kind = 'event'")
        assert jobs and all(s == "done" for (s,) in jobs)
    finally:
        shop.stop()
        pos.stop()
