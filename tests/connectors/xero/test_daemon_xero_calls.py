"""Call counts through the daemon: a full sync and an incremental sync of 1,000 Xero items make
the fewest calls Xero allows (one ``GET /Items`` per pass: Items come whole), and the fault
switches during a sync and an order post lose nothing, post nothing twice and never break
Xero's 60-a-minute limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness import Daemon, wait_until
from helpers import start_server, state
from test_daemon_xero import ENV, XeroProcess, shop, stop_process, xero_config

pytestmark = pytest.mark.slow


@pytest.fixture
def big(tmp_path: Path) -> Any:
    xero = XeroProcess(tmp_path, "--items", "1000")
    box_shop = start_server("shop", tmp_path / "shop.db", "--locations", "Main")
    yield xero, box_shop
    box_shop.stop()
    stop_process(xero.proc)
    if xero.proc.stdout is not None:
        xero.proc.stdout.close()


def test_full_and_incremental_syncs_of_1000_items_make_the_fewest_calls(
    big: Any, tmp_path: Path
) -> None:
    xero, box_shop = big
    config = xero_config(tmp_path, xero, box_shop.url, '["products", "stock", "prices"]')
    Daemon(config, ENV).run_ok(timeout=300)
    full = xero.get("stats")
    held = shop(box_shop.url, "GET", "/api/products", limit=1000)["items"]
    assert len(held) == 1000
    print("full sync", full["by_route"], "token calls", full["token_calls"])
    assert full["by_route"] == {"GET /Items": FULL_ITEM_READS}
    assert full["refused"] == 0 and full["busiest_minute"] <= 60

    xero.post("stock", {"XSKU-00010": 99, "XSKU-00020": 98, "XSKU-00030": 97})
    Daemon(config, ENV).run_ok(timeout=300)
    after = xero.get("stats")
    print("incremental", after["by_route"])
    # The same two passes, each asking only for what changed since the last one.
    assert after["by_route"] == {
        "GET /Items": FULL_ITEM_READS,
        "GET /Items (If-Modified-Since)": INCREMENTAL_ITEM_READS,
    }
    levels = shop(box_shop.url, "GET", "/api/inventory", skus="XSKU-00010,XSKU-00020")["items"]
    assert {(s["sku"], s["quantity"]) for s in levels} == {("XSKU-00010", 99), ("XSKU-00020", 98)}
    assert state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)]


FULL_ITEM_READS = 2  # one pass of products (with prices), one of stock
INCREMENTAL_ITEM_READS = 2


FAST_RETRIES = """
    [daemon.retry]
    base = "1s"
    cap = { sale = "2s", manual = "2s", recent = "2s", ghost = "2s", full = "2s" }
"""
EVERY_FAULT = {
    "fail_next": 1,
    "drop_next": 1,
    "hang_next": 1,
    "malformed_next": 1,
    "truncated_next": 1,
    "storm_next": 2,
    "hang_seconds": 3,
}


def test_every_fault_during_a_sync_and_an_order_post_loses_nothing_and_posts_once(
    tmp_path: Path,
) -> None:
    xero = XeroProcess(tmp_path, "--items", "300")
    box_shop = start_server("shop", tmp_path / "shop.db", "--locations", "Main")
    try:
        config = xero_config(
            tmp_path,
            xero,
            box_shop.url,
            '["products", "stock", "prices", "orders"]',
            extra=FAST_RETRIES,
        )
        config.write_text(
            config.read_text().replace(
                'url = "' + xero.url + '/api.xro/2.0"',
                'url = "' + xero.url + '/api.xro/2.0"\ntimeout = 2',
            )
        )
        xero.post("faults", EVERY_FAULT)
        Daemon(config, ENV).run_ok(timeout=300)
        assert all(v == 0 for k, v in xero.post("faults", {}).items())  # every fault struck
        held = shop(box_shop.url, "GET", "/api/products", limit=1000)["items"]
        assert len(held) == 300
        levels = shop(box_shop.url, "GET", "/api/inventory", skus="XSKU-00123")["items"]
        assert [(s["sku"], s["quantity"]) for s in levels] == [("XSKU-00123", 123 % 50)]

        placed = []
        for n in range(3):
            body = {
                "customer": {"email": f"buyer{n}@example.test", "first_name": "B"},
                "lines": [{"sku": "XSKU-00001", "quantity": 1, "unit_price": "10.00"}],
            }
            placed.append(shop(box_shop.url, "POST", "/admin/orders", body)["id"])
        # Every fault again, on the invoice creates only: the first create times out after
        # Xero committed it.
        xero.post("faults", {**EVERY_FAULT, "hang_after_commit_next": 1, "only": "PUT /Invoices"})
        Daemon(config, ENV).run_ok(timeout=300)
        invoices = xero.get("records/invoices")
        refs = sorted(i["Reference"] for i in invoices)
        assert len(refs) == len(set(refs)) == 3
        assert all(any(r.endswith(p) for r in refs) for p in placed)
        stats = xero.get("stats")
        assert stats["refused"] == 0 and stats["busiest_minute"] <= 60
        assert state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)]
    finally:
        box_shop.stop()
        stop_process(xero.proc)
        if xero.proc.stdout is not None:
            xero.proc.stdout.close()


def test_orders_post_within_xeros_minute_limit_while_a_full_sync_runs(
    big: Any, tmp_path: Path
) -> None:
    xero, box_shop = big
    placed = []
    for n in range(20):
        line = {"sku": f"XSKU-{n:05d}", "quantity": 1, "unit_price": "5.00"}
        body = {"customer": {"email": f"rush{n}@example.test", "first_name": "R"}, "lines": [line]}
        placed.append(shop(box_shop.url, "POST", "/admin/orders", body)["id"])
    flows = '["products", "stock", "prices", "orders"]'
    config = xero_config(tmp_path, xero, box_shop.url, flows)
    # 20 orders at 4 calls each (buyer look-up and create, invoice look-up and create) need
    # more than a minute at 60 a minute: the budget spreads them, Xero refuses none. (The
    # daemon runs as under systemd: a burst run would stop when the budget says "next minute".)
    with Daemon(config, ENV).start() as daemon:
        wait_until(
            lambda: xero.get("stats")["invoices"] == 20,
            timeout=300,
            interval=1,
            message=lambda: daemon.log()[-3000:],
        )
        daemon.stop()
    stats = xero.get("stats")
    assert stats["busiest_minute"] <= 60 and stats["refused"] == 0
    assert stats["by_route"]["PUT /Invoices"] == 20 and stats["invoices"] == 20
    assert len(shop(box_shop.url, "GET", "/api/products", limit=1000)["items"]) == 1000
    assert state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)]
