"""End to end: the daemon (a process) between the Unleashed emulator (a process) and the
sandbox shop: products, prices, stock per warehouse, customers, settings, and orders posted
exactly once (also when the create's answer is lost, and across a second run)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Daemon, config_file
from helpers import API_KEY, SANDBOX_ENV, Server, start_server, state
from unleashed_support import API_ID, EmulatorProcess
from unleashed_support import API_KEY as UL_KEY

pytestmark = pytest.mark.slow
HEADERS = {"Authorization": f"Bearer {API_KEY}"}
ENV = {**SANDBOX_ENV, "UL_API_ID": API_ID, "UL_API_KEY": UL_KEY}


def shop_call(shop: Server, method: str, path: str, body: Any = None, **params: Any) -> Any:
    response = httpx.request(
        method, f"{shop.url}{path}", json=body, params=params or None, headers=HEADERS, timeout=10
    )
    response.raise_for_status()
    return response.json()


def shop_all(shop: Server, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = None
    while True:
        body = shop_call(shop, "GET", path, limit=500, **({"after": after} if after else {}))
        items += body["items"]
        after = body.get("next")
        if not after or not body["items"]:
            return items


def config(tmp: Path, emu: EmulatorProcess, shop: Server, flows: str) -> Path:
    return config_file(
        tmp,
        f"""
        [systems.unleashed]
        kind = "unleashed"
        url = "{emu.url}"
        credentials = {{ api_id = {{ env = "UL_API_ID" }}, api_key = {{ env = "UL_API_KEY" }} }}
        [systems.unleashed.budget.windows.month]
        limit = 100000
        mode = "calendar"
        timezone = "UTC"

        [systems.shop]
        kind = "sandbox-shop"
        url = "{shop.url}"
        credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}
        [systems.shop.settings]
        location_map = {{ "Main warehouse" = "central", "North store" = "north" }}

        [connections.demo]
        source = "unleashed"
        channel = "shop"
        flows = {flows}
        page_size = 500
        overlap = "2m"
        workers = 4
        [connections.demo.schedule]
        recent = "1h"
        """,
    )


@pytest.fixture
def systems(tmp_path: Path) -> Any:
    emu = EmulatorProcess(
        tmp_path, "--products", "40", "--warehouses", "MAIN:Main warehouse,NORTH:North store"
    )
    shop = start_server("shop", tmp_path / "shop.db")
    yield emu, shop
    shop.stop()
    emu.stop()


def test_catalogue_stock_and_settings_reach_the_shop(systems: Any, tmp_path: Path) -> None:
    emu, shop = systems
    path = config(tmp_path, emu, shop, '["products", "stock", "prices", "settings"]')
    Daemon(path, ENV).run_ok(timeout=180)
    products = shop_all(shop, "/api/products")
    assert len(products) == 40
    skus = {v["sku"]: v for p in products for v in p["variants"]}
    assert Decimal(str(skus["UL-00001"]["price"])) == Decimal("11.50")
    levels = {
        (row["sku"], row["location"]): row["quantity"]
        for row in shop_call(shop, "GET", "/api/inventory", skus="UL-00001,UL-00002")["items"]
    }
    # seed: on hand (n * (index + 3)) % 40, allocated n % 2; available = on hand - allocated
    assert levels[("UL-00001", "central")] == 3 - 1
    assert levels[("UL-00001", "north")] == 4 - 1
    assert levels[("UL-00002", "north")] == 8
    assert ("UL-00003", "central") not in levels or levels[("UL-00003", "central")] == 0
    settings = shop_call(shop, "GET", "/api/settings")
    assert settings["currency"] == "NZD"
    # An edit in Unleashed flows on the next run: a new price, an obsoleted product.
    emu.call(
        "POST",
        "/_emulator/product",
        {"Guid": guid("UL-00002"), "ProductCode": "UL-00002", "DefaultSellPrice": 99.5},
    )
    emu.call("POST", "/_emulator/obsolete", {"Guid": guid("UL-00004")})
    emu.call("POST", "/_emulator/stock", {"code": "UL-00001", "warehouse": "NORTH", "on_hand": 17})
    Daemon(path, ENV).run_ok(timeout=180)
    products = shop_all(shop, "/api/products")
    by_sku = {p["variants"][0]["sku"]: p for p in products}
    assert Decimal(str(by_sku["UL-00002"]["variants"][0]["price"])) == Decimal("99.50")
    assert by_sku["UL-00004"]["status"] == "discontinued"
    levels = {
        (row["sku"], row["location"]): row["quantity"]
        for row in shop_call(shop, "GET", "/api/inventory", skus="UL-00001")["items"]
    }
    assert levels[("UL-00001", "north")] == 17


def guid(code: str) -> str:
    from syncwright.connectors.unleashed.wire import derived_guid

    return derived_guid("emulator", "product", code)


def place(shop: Server, email: str, lines: list[tuple[str, int]]) -> str:
    body = {
        "customer": {"email": email, "first_name": "Ada", "last_name": "Buyer"},
        "lines": [
            {"sku": sku, "quantity": q, "unit_price": "19.90", "title": f"Item {sku}"}
            for sku, q in lines
        ],
    }
    order_id: str = shop_call(shop, "POST", "/admin/orders", body)["id"]
    return order_id


def test_orders_post_once_with_customers_and_sale_time_products(
    tmp_path: Path,
) -> None:
    emu = EmulatorProcess(tmp_path, "--products", "5", "--customers", "3")
    shop = start_server("shop", tmp_path / "shop.db")
    try:
        path = config(tmp_path, emu, shop, '["products", "customers", "orders"]')
        Daemon(path, ENV).run_ok(timeout=180)
        found = shop_call(shop, "GET", "/api/customers/search", email="buyer3@example.com")
        assert [c["email"] for c in found["items"]] == ["buyer3@example.com"]
        first = place(shop, "BUYER2@example.com", [("UL-00001", 2), ("SALE-NEW-1", 1)])
        second = place(shop, "newbie@example.com", [("UL-00002", 1)])
        # The answer to the first sales order create is lost (the order is kept).
        emu.call("POST", "/_emulator/faults", {"fail_after": ["POST /SalesOrders"]})
        Daemon(path, ENV).run_ok(timeout=180)
        orders = emu.call("GET", "/_emulator/orders")["orders"]
        refs = [f"shop:{first}", f"shop:{second}"]
        assert sorted(o["SourceId"] for o in orders) == sorted(refs)
        by_ref = {o["SourceId"]: o for o in orders}
        linked = derived_customer("2")
        assert by_ref[refs[0]]["Customer"]["Guid"] == linked
        codes = [line["Product"]["ProductCode"] for line in by_ref[refs[0]]["SalesOrderLines"]]
        assert codes == ["UL-00001", "SALE-NEW-1"]
        stats = emu.call("GET", "/_emulator/stats")
        assert stats["customers"] == 4 and stats["products"] == 6
        # Another run posts nothing again.
        Daemon(path, ENV).run_ok(timeout=180)
        assert len(emu.call("GET", "/_emulator/orders")["orders"]) == 2
        assert emu.call("GET", "/_emulator/stats")["by_route"].get("POST /SalesOrders/{guid}") == 2
    finally:
        shop.stop()
        emu.stop()


def derived_customer(n: str) -> str:
    from syncwright.connectors.unleashed.wire import derived_guid

    return derived_guid("emulator", "customer", n)


def test_sigkill_right_after_the_create_still_posts_exactly_once(tmp_path: Path) -> None:
    emu = EmulatorProcess(tmp_path, "--products", "3", "--customers", "1")
    shop = start_server("shop", tmp_path / "shop.db")
    try:
        path = config(tmp_path, emu, shop, '["orders"]')
        order_id = place(shop, "buyer1@example.com", [("UL-00002", 4)])
        crashed = Daemon(path, ENV).run(
            "--until-idle", timeout=120, env={"SYNCWRIGHT_TEST_CRASH_AFTER": "order_created"}
        )
        assert crashed.returncode == -9, crashed.stderr[-3000:]
        assert len(emu.call("GET", "/_emulator/orders")["orders"]) == 1
        assert state(path, "SELECT count(*) FROM links WHERE entity = 'order'") == [(0,)]
        Daemon(path, ENV).run_ok(timeout=180)
        (posted,) = emu.call("GET", "/_emulator/orders")["orders"]
        assert posted["SourceId"] == f"shop:{order_id}"
        assert emu.call("GET", "/_emulator/stats")["by_route"]["POST /SalesOrders/{guid}"] == 1
        assert state(path, "SELECT source_id FROM links WHERE entity = 'order'") == [
            (posted["Guid"],)
        ]
    finally:
        shop.stop()
        emu.stop()


@pytest.mark.timeout(900)
def test_every_fault_switch_during_a_full_sync_and_orders_loses_nothing(tmp_path: Path) -> None:
    emu = EmulatorProcess(
        tmp_path,
        "--products",
        "60",
        "--customers",
        "2",
        "--warehouses",
        "MAIN:Main warehouse,NORTH:North store",
    )
    shop = start_server("shop", tmp_path / "shop.db")
    try:
        path = config(tmp_path, emu, shop, '["products", "stock", "orders"]')
        text = path.read_text().replace("page_size = 500", "page_size = 40")
        # Backoff in seconds, not the default 15 s doubling: with 5 % of every fault, a job that
        # failed five times in a row waited 8 minutes and `run --until-idle` ran out of time.
        text += '[daemon.retry]\nbase = "1s"\n'
        text += 'cap = { sale = "2s", manual = "2s", recent = "2s", ghost = "2s", full = "2s" }\n'
        path.write_text(text.replace("limit = 100000", "limit = 5000"))
        refs = [place(shop, "buyer1@example.com", [("UL-00001", 1)]) for _ in range(3)]
        faults = {
            "error_rate": 0.05,
            "drop_rate": 0.05,
            "malformed_rate": 0.05,
            "truncated_rate": 0.05,
            "throttle_429_rate": 0.05,
            "fail_after": ["POST /SalesOrders", "POST /SalesOrders"],
            "seed": 11,
        }
        emu.call("POST", "/_emulator/faults", faults)
        Daemon(path, ENV).run_ok(timeout=800)
        emu.call("POST", "/_emulator/faults", {k: 0 for k in faults if k.endswith("rate")})
        Daemon(path, ENV).run_ok(timeout=180)
        products = shop_all(shop, "/api/products")
        assert len({p["variants"][0]["sku"] for p in products}) == 60
        orders = emu.call("GET", "/_emulator/orders")["orders"]
        assert sorted(o["SourceId"] for o in orders) == sorted(f"shop:{r}" for r in refs)
        stats = emu.call("GET", "/_emulator/stats")
        assert stats["calls"] <= 5000 and stats["refused_quota"] == 0
    finally:
        shop.stop()
        emu.stop()
