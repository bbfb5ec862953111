"""End to end: the daemon (a process) between the X-Series emulator and the Shopify emulator
(both processes): variant families and stock at two outlets reach Shopify, a Shopify order
comes back as one X-Series sale."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from harness import Daemon, config_file
from lx_support import TOKEN
from test_lsx_daemon import XSeries

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "connectors" / "shopify"))

from shopify_support import SECRET, EmulatorProcess  # noqa: E402
from shopify_support import TOKEN as SHOP_TOKEN  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def shopify_schema() -> None:
    spec = importlib.util.spec_from_file_location(
        "fetch_shopify_schema", ROOT / "scripts" / "fetch_shopify_schema.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        module.ensure_schemas()
    except SystemExit as exc:
        pytest.fail(f"cannot fetch the Shopify schema: {exc}")


def config(tmp: Path, pos: str, shop: str) -> Path:
    return config_file(
        tmp,
        f"""
        [systems.pos]
        kind = "lightspeed-x"
        url = "{pos}"
        credentials.token = {{ env = "LSX_TEST_TOKEN" }}
        credentials.webhook_key = {{ env = "LSX_TEST_HOOK_KEY" }}
        [systems.pos.budget.windows.minute]
        limit = 70
        [systems.pos.settings]
        sale_register = "Register 1"

        [systems.shop]
        kind = "shopify"
        url = "{shop}"
        credentials.access_token = {{ env = "SHOPIFY_TEST_TOKEN" }}
        credentials.client_secret = {{ env = "SHOPIFY_TEST_SECRET" }}
        [systems.shop.budget.windows.minute]
        limit = 60000
        [systems.shop.settings]
        api_version = "2026-01"
        location_map = {{ "Main Outlet" = "Main warehouse", "Outlet 2" = "North store" }}

        [connections.demo]
        source = "pos"
        channel = "shop"
        flows = ["products", "stock", "prices", "orders"]
        page_size = 1000
        workers = 2
        [connections.demo.schedule]
        recent = "1h"
        """,
    )


def test_x_series_to_shopify_and_an_order_back(tmp_path: Path) -> None:
    pos = XSeries(tmp_path, "--products", "6", "--variants", "2", "--outlets", "2")
    shop = EmulatorProcess(tmp_path)
    try:
        shop.call("POST", "/_emulator/locations", {"name": "North store"})
        path = config(tmp_path, pos.url, shop.url)
        env = {"LSX_TEST_TOKEN": TOKEN, "LSX_TEST_HOOK_KEY": "k" * 32,
               "SHOPIFY_TEST_TOKEN": SHOP_TOKEN,
               "SHOPIFY_TEST_SECRET": SECRET}  # fmt: skip
        Daemon(path, env).run_ok(timeout=240)
        held: list[dict[str, Any]] = shop.call("GET", "/_emulator/products")["products"]
        families = [r for r in pos.call("GET", "/_emulator/catalogue")["products"]
                    if not r["variant_parent_id"]]  # fmt: skip
        assert sorted(p["source_id"] for p in held) == sorted(r["id"] for r in families)
        variants = {v["sku"]: v for p in held for v in p["variants"]}
        assert len(variants) == 12
        assert variants["LX-00002-1"]["levels"] == {"Main warehouse": 5, "North store": 5}
        assert variants["LX-00002-1"]["price"] == "13.00"

        order = shop.call(
            "POST", "/_emulator/orders",
            {"lines": [{"sku": "LX-00002-1", "quantity": 1}], "email": "eve@example.com"},
        )  # fmt: skip
        Daemon(path, env).run_ok(timeout=240)
        Daemon(path, env).run_ok(timeout=240)
        sales = pos.call("GET", "/_emulator/sales")["sales"]
        assert [s["invoice_number"] for s in sales] == [f"shop:{order['id']}"]
        assert pos.call("GET", "/_emulator/stats")["refused"] == 0
    finally:
        shop.stop()
        pos.stop()
