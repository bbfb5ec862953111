"""End to end: the daemon (a process) between the sandbox ERP and the SparkLayer emulator."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from harness import log_path
from helpers import api, start_server, state
from sparklayer_support import EmulatorProcess, sparklayer_config, sparklayer_daemon

pytestmark = pytest.mark.slow

NAMES = {"central": "main", "north": "north"}


def erp_all(erp_url: str, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = None
    while True:
        params = {"limit": 200, **({"after_id": after} if after else {})}
        body = api(erp_url, "GET", path, **params)
        items += body["items"]
        after = body.get("next_after") or body.get("after")
        if not after or not body["items"]:
            return items


def erp_stock(erp_url: str, skus: list[str]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for start in range(0, len(skus), 100):
        body = api(erp_url, "GET", "/api/stock", skus=",".join(skus[start : start + 100]))
        for row in body["items"]:
            where = row["warehouse"] if "warehouse" in row else row["location"]
            out[(row["sku"], where)] = row["quantity"]
    return out


@pytest.fixture
def systems(tmp_path: Path) -> Any:
    erp = start_server(
        "erp",
        tmp_path / "erp.db",
        "--products",
        "30",
        "--variants-per-product",
        "2",
        "--customers",
        "6",
    )
    portal = EmulatorProcess(tmp_path, "--locations", "main,north", "--rate-limit", "100000")
    yield erp, portal
    portal.stop()
    erp.stop()


def assert_portal_matches_erp(erp_url: str, portal: EmulatorProcess) -> dict[str, Any]:
    held = portal.state()
    erp = {str(p["id"]): p for p in erp_all(erp_url, "/api/products")}
    products = {p["external_id"]: p for p in held["products"]}
    assert set(products) == set(erp)
    prices = held["prices"]["sandbox-price"]
    skus = []
    for pid, product in erp.items():
        assert products[pid]["title"] == product["title"]
        assert products[pid]["slug"] == product["handle"]
        for variant in product["variants"]:
            skus.append(variant["sku"])
            if variant.get("price") is not None:
                got = Decimal(str(prices[variant["sku"]][0]["price"]))
                assert got == Decimal(str(variant["price"])), variant["sku"]
    levels = {(r["sku"], r["stock_location_external_id"]): r["stock_level"] for r in held["stock"]}
    for (sku, where), quantity in erp_stock(erp_url, skus).items():
        assert levels.get((sku, NAMES[where])) == quantity, (sku, where)
    return held


def test_erp_to_sparklayer(systems: Any, tmp_path: Path) -> None:
    erp, portal = systems
    config = sparklayer_config(tmp_path, erp.url, portal.url)
    daemon = sparklayer_daemon(config)
    daemon.run_ok(timeout=240)
    held = assert_portal_matches_erp(erp.url, portal)
    assert [p["slug"] for p in held["price_lists"]] == ["sandbox-price"]
    assert held["price_lists"][0]["name"] == "Sandbox Price"
    assert held["currency"] == api(erp.url, "GET", "/api/settings")["currency"]
    # Every ERP customer is on SparkLayer under its id, with its B2B fields, or has an error
    # in the sync log saying why (the sandbox has two sharing an e-mail, and one in a group
    # SparkLayer does not have: SparkLayer refuses unknown groups).
    errors = dict(
        state(config, "SELECT external_id, message FROM sync_errors WHERE flow = ?", ("customers",))
    )
    on_portal = {c["external_id"]: c for c in held["customers"]}
    for customer in erp_all(erp.url, "/api/customers"):
        cid = str(customer["id"])
        if cid in errors:
            assert cid not in on_portal
            continue
        mine = on_portal[cid]
        assert mine["email"] == customer["email"]
        assert mine["group"] == customer.get("group")
        assert mine["payment_on_account"] == bool(customer.get("pays_on_account"))
        assert mine["price_lists"] == list(customer.get("price_lists") or [])
    assert any("unknown group" in message for message in errors.values()), errors
    assert len(on_portal) >= 3, on_portal
    dead = state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'")
    assert dead == [(0,)], log_path(config).read_text()[-3000:]

    # A title and a stock change in the ERP reach SparkLayer on the next run, and only they.
    product = erp_all(erp.url, "/api/products")[0]
    sku = product["variants"][0]["sku"]
    before = portal.call("GET", "/_emulator/stats")["by_route"]
    api(erp.url, "PATCH", f"/admin/products/{product['id']}", {"title": "Renamed on the ERP"})
    api(erp.url, "PUT", "/admin/stock", {"sku": sku, "location": "central", "quantity": 3})
    daemon.run_ok(timeout=240)
    held = assert_portal_matches_erp(erp.url, portal)
    after = portal.call("GET", "/_emulator/stats")["by_route"]
    writes = {
        k: after.get(k, 0) - before.get(k, 0)
        for k in after
        if not k.startswith("GET") and after.get(k, 0) != before.get(k, 0)
    }
    assert writes == {
        "PATCH /api/v1/products/{id}": 1,
        "PATCH /api/v1/price-lists/{slug}/pricing": 1,
        "POST /api/v1/batch-update-stock": 1,
    }, writes
