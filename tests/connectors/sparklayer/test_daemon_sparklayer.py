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
        if not k.startswith("GET")
        and "/sync-log" not in k  # the sync-log mirror's own calls (test_sl_synclog_mirror.py)
        and after.get(k, 0) != before.get(k, 0)
    }
    assert writes == {
        "PATCH /api/v1/products/{id}": 1,
        "PATCH /api/v1/price-lists/{slug}/pricing": 1,
        "POST /api/v1/batch-update-stock": 1,
    }, writes


def test_erp_orders_become_purchases_once_with_their_shipments(
    systems: Any, tmp_path: Path
) -> None:
    erp, portal = systems
    flows = '"products", "stock", "prices", "customers", "settings", "purchases"'
    config = sparklayer_config(tmp_path, erp.url, portal.url, flows=flows)
    daemon = sparklayer_daemon(config)
    customer = next(c for c in erp_all(erp.url, "/api/customers") if c["id"] == 3)
    sku = erp_all(erp.url, "/api/products")[0]["variants"][0]["sku"]
    placed = [
        api(
            erp.url,
            "POST",
            "/api/orders",
            {
                "channel_ref": f"phone:{n}",
                "customer_id": customer["id"],
                "lines": [{"sku": sku, "quantity": n + 1, "unit_price": "4.00", "title": "Item"}],
                "currency": "EUR",
                "total": f"{4 * (n + 1)}.00",
                "b2b": True,
            },
        )
        for n in range(3)
    ]
    daemon.run_ok(timeout=240)
    held = {p["platform_id"]: p for p in portal.state()["purchases"]}
    assert set(held) == {str(o["id"]) for o in placed}
    first = held[str(placed[0]["id"])]
    assert first["customer_external_id"] == str(customer["id"])
    assert first["lines"] == [{"sku": sku, "name": "Item", "quantity": 1, "unit_price": 4}]
    assert first["order_number"] == "phone:0"

    # A shipment in the ERP replaces that purchase (the same one), and only it is written.
    before = portal.call("GET", "/_emulator/stats")["by_route"].get(
        "PUT /api/v1/purchases/{lookup}/{ident}", 0
    )
    api(
        erp.url,
        "POST",
        f"/api/orders/{placed[1]['id']}/shipments",
        {"external_id": "SH-1", "lines": [[sku, 2]], "carrier": "DHL", "tracking": "T1"},
    )
    daemon.run_ok(timeout=240)
    after = portal.call("GET", "/_emulator/stats")["by_route"][
        "PUT /api/v1/purchases/{lookup}/{ident}"
    ]
    assert after - before == 1
    held = {p["platform_id"]: p for p in portal.state()["purchases"]}
    assert len(held) == 3
    shipped = held[str(placed[1]["id"])]["shipments"]
    assert [(s["carrier"], s["tracking_number"], s["lines"]) for s in shipped] == [
        ("DHL", "T1", [{"sku": sku, "quantity": 2}])
    ]


@pytest.mark.parametrize("update", [False, True])
def test_linked_customers_are_updated_only_when_the_connection_says_so(
    systems: Any, tmp_path: Path, update: bool
) -> None:
    erp, portal = systems
    policy = f"[connections.demo.customers]\nupdate_linked = {str(update).lower()}\n"
    config = sparklayer_config(tmp_path, erp.url, portal.url, extra=policy)
    daemon = sparklayer_daemon(config)
    daemon.run_ok(timeout=240)
    before = {c["external_id"]: c for c in portal.state()["customers"]}["3"]
    api(erp.url, "PATCH", "/admin/customers/3", {"company": "Renamed Trading Ltd"})
    daemon.run_ok(timeout=240)
    after = {c["external_id"]: c for c in portal.state()["customers"]}["3"]
    if update:  # written again, whole: its other fields are still there
        assert after["company_name"] == "Renamed Trading Ltd"
        assert after["email"] == before["email"] and after["group"] == before["group"]
        assert after["addresses"] == before["addresses"]
    else:  # the default: a linked customer belongs to the channel
        assert after == before
