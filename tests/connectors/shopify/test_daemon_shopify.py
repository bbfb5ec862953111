"""End to end: the daemon (a process) between the sandbox ERP and the Shopify emulator."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import free_port, log_path, wait_until
from helpers import api, start_server, state
from shopify_support import EmulatorProcess, shopify_config, shopify_daemon

pytestmark = pytest.mark.slow


def run_until_idle(config: Path) -> None:
    shopify_daemon(config).run_ok(timeout=240)


def erp_products(erp_url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = None
    while True:
        body = (
            api(erp_url, "GET", "/api/products", after_id=after, limit=200)
            if after
            else api(erp_url, "GET", "/api/products", limit=200)
        )
        items += body["items"]
        after = body.get("next_after") or body.get("after")
        if not after or not body["items"]:
            return items


def erp_stock(erp_url: str, skus: list[str]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for start in range(0, len(skus), 100):
        body = api(erp_url, "GET", "/api/stock", skus=",".join(skus[start : start + 100]))
        for row in body["items"]:
            out[(row["sku"], row["warehouse"] if "warehouse" in row else row["location"])] = row[
                "quantity"
            ]
    return out


def shop_view(emu: EmulatorProcess) -> dict[str, dict[str, Any]]:
    return {p["source_id"]: p for p in emu.call("GET", "/_emulator/products")["products"]}


@pytest.fixture
def systems(tmp_path: Path) -> Any:
    erp = start_server(
        "erp",
        tmp_path / "erp.db",
        "--products",
        "25",
        "--variants-per-product",
        "2",
        "--customers",
        "0",
    )
    emu = EmulatorProcess(tmp_path, "--webhook-delay", "0.2")
    emu.call("POST", "/_emulator/locations", {"name": "North store"})
    yield erp, emu
    emu.stop()
    erp.stop()


def assert_shop_matches_erp(erp_url: str, emu: EmulatorProcess) -> None:
    erp = {str(p["id"]): p for p in erp_products(erp_url)}
    shop = shop_view(emu)
    assert set(shop) == set(erp)
    skus = []
    for pid, product in erp.items():
        held = shop[pid]
        assert held["title"] == product["title"]
        want = {
            v["sku"]: Decimal(str(v["price"]))
            for v in product["variants"]
            if v.get("price") is not None
        }
        got = {v["sku"]: Decimal(str(v["price"])) for v in held["variants"]}
        assert {k: got[k] for k in want} == want
        skus += [v["sku"] for v in product["variants"]]
    names = {"central": "Main warehouse", "north": "North store"}
    levels = {
        (v["sku"], loc): q
        for p in shop.values()
        for v in p["variants"]
        for loc, q in v["levels"].items()
    }
    for (sku, where), quantity in erp_stock(erp_url, skus).items():
        assert levels.get((sku, names[where])) == quantity, (sku, where)


def test_erp_to_shopify_and_orders_back(systems: Any, tmp_path: Path) -> None:
    erp, emu = systems
    config = shopify_config(tmp_path, erp.url, emu.url)
    run_until_idle(config)
    assert_shop_matches_erp(erp.url, emu)
    stats = emu.call("GET", "/_emulator/stats")
    assert stats["invalid"] == 0 and stats["throttled"] == 0

    # Shoppers buy; the orders reach the ERP, and a fulfilment follows as a shipment.
    sku = next(iter(shop_view(emu).values()))["variants"][0]["sku"]
    placed = [
        emu.call(
            "POST",
            "/_emulator/orders",
            {
                "lines": [{"sku": sku, "quantity": 1}],
                "email": f"buyer{n}@example.com",
                "first_name": "B",
            },
        )
        for n in range(3)
    ]
    run_until_idle(config)
    for order in placed:
        body = api(erp.url, "GET", f"/api/orders/by-ref/shop:{order['id']}")
        assert body["lines"][0]["sku"] == sku
    # A fulfilment on Shopify arrives in the ERP as a shipment (through the updated order).
    emu.call(
        "POST",
        f"/_emulator/orders/{placed[0]['id']}/fulfill",
        {"company": "DHL", "number": "TRACK-1"},
    )
    run_until_idle(config)
    shipped = api(erp.url, "GET", f"/api/orders/by-ref/shop:{placed[0]['id']}")["shipments"]
    assert [(s["carrier"], s["tracking"]) for s in shipped] == [("DHL", "TRACK-1")]
    assert [list(line) for line in shipped[0]["lines"]] == [[sku, 1]]
    rows = state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'")
    assert rows == [(0,)], log_path(config).read_text()[-3000:] if log_path(config).exists() else ""


def test_webhooks_arrive_and_are_applied(systems: Any, tmp_path: Path) -> None:
    erp, emu = systems
    port = free_port()
    config = shopify_config(tmp_path, erp.url, emu.url, webhook_port=port)
    emu.call("POST", "/_emulator/webhooks", {"url": f"http://127.0.0.1:{port}/webhooks/shop"})
    with shopify_daemon(config).start() as daemon:
        # First the initial sync converges.
        wait_until(
            lambda: assert_shop_matches_erp(erp.url, emu) is None,
            timeout=120,
            interval=0.5,
            ignoring=(AssertionError, KeyError, httpx.HTTPError),
        )
        # Someone edits stock on the shop: the webhook arrives and the drift is repaired.
        product = next(iter(shop_view(emu).values()))
        sku = product["variants"][0]["sku"]
        want = product["variants"][0]["levels"]["Main warehouse"]
        emu.call("POST", "/_emulator/stock", {"sku": sku, "available": want + 500})

        def level() -> int:
            variants = shop_view(emu)[product["source_id"]]["variants"]
            found: int = {v["sku"]: v for v in variants}[sku]["levels"]["Main warehouse"]
            return found

        # The level is back where the ERP has it (or the daemon's log says why not).
        wait_until(
            lambda: level() == want,
            timeout=60,
            interval=0.3,
            message=lambda: daemon.log()[-4000:],
        )

        def settled() -> list[tuple[Any, ...]]:
            """Every stored event is settled (echoes of the repair arrive meanwhile)."""
            events = state(
                config,
                "SELECT topic, processed_at IS NOT NULL, last_error FROM events"
                " WHERE topic = 'inventory_levels/update'",
            )
            return events if events and all(done for _, done, _ in events) else []

        events = wait_until(settled, timeout=30, interval=0.3, message="events left unsettled")
        assert events and all(done and error is None for _, done, error in events)
        repairs = state(
            config,
            "SELECT state FROM jobs WHERE kind = 'sync_item' AND class = 2 AND payload LIKE ?",
            (f'%"{sku}"%',),
        )
        assert ("done",) in repairs  # the webhook's job did it, not a scheduled sweep
        # A shopper's order arrives by webhook and is posted to the ERP without waiting for a pull.
        order = emu.call(
            "POST",
            "/_emulator/orders",
            {"lines": [{"sku": sku, "quantity": 2}], "email": "hook@example.com"},
        )
        wait_until(
            lambda: api(erp.url, "GET", f"/api/orders/by-ref/shop:{order['id']}"),
            timeout=60,
            interval=0.3,
            ignoring=(httpx.HTTPStatusError,),
            message="the order never reached the ERP",
        )
        stats = emu.call("GET", "/_emulator/stats")
        assert stats["webhooks_failed"] == 0 and stats["invalid"] == 0
        daemon.stop()
