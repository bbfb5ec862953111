"""End to end against another real connector: Xero emulator -> daemon -> Shopify emulator
(both processes): items become Shopify products with prices and stock at the mapped location,
and a Shopify order comes back as one Xero invoice."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from harness import Daemon, config_file
from test_daemon_xero import ENV, TENANT, XeroProcess, stop_process

from syncwright.connectors.xero.auth import write_refresh_token

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "connectors" / "shopify"))

from shopify_support import SECRET, TOKEN, EmulatorProcess  # noqa: E402

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


def test_xero_items_to_shopify_and_a_shopify_order_back_as_one_invoice(tmp_path: Path) -> None:
    xero = XeroProcess(tmp_path, "--items", "20")
    shop = EmulatorProcess(tmp_path)
    try:
        token_file = tmp_path / "xero-token.json"
        write_refresh_token(token_file, "r0")
        config = config_file(tmp_path, textwrap.dedent(f"""
            [systems.books]
            kind = "xero"
            url = "{xero.url}/api.xro/2.0"
            credentials.client_id = {{ env = "XERO_ID" }}
            credentials.client_secret = {{ env = "XERO_SECRET" }}
            credentials.webhook_key = {{ env = "XERO_HOOK" }}
            [systems.books.budget.windows.minute]
            limit = 60
            [systems.books.settings]
            tenant_id = "{TENANT}"
            token_url = "{xero.url}/connect/token"
            token_file = "{token_file}"

            [systems.shop]
            kind = "shopify"
            url = "{shop.url}"
            credentials.access_token = {{ env = "SHOPIFY_TEST_TOKEN" }}
            credentials.client_secret = {{ env = "SHOPIFY_TEST_SECRET" }}
            [systems.shop.budget.windows.minute]
            limit = 8000
            [systems.shop.settings]
            location_map = {{ Main = "Main warehouse" }}

            [connections.demo]
            source = "books"
            channel = "shop"
            flows = ["products", "stock", "prices", "orders"]
            overlap = "2m"
            """))  # fmt: skip
        env = {**ENV, "SHOPIFY_TEST_TOKEN": TOKEN, "SHOPIFY_TEST_SECRET": SECRET}
        Daemon(config, env).run_ok(timeout=240)
        held: dict[str, Any] = {
            v["sku"]: v
            for p in shop.call("GET", "/_emulator/products")["products"]
            for v in p["variants"]
        }
        items = {i["Code"]: i for i in xero.get("records/items")}
        assert set(held) == set(items)
        for code, item in items.items():
            assert float(held[code]["price"]) == item["SalesDetails"]["UnitPrice"]
            assert held[code]["levels"]["Main warehouse"] == int(item["QuantityOnHand"])

        order = shop.call(
            "POST",
            "/_emulator/orders",
            {"lines": [{"sku": "XSKU-00004", "quantity": 3}], "email": "shopper@example.test"},
        )
        Daemon(config, env).run_ok(timeout=240)
        Daemon(config, env).run_ok(timeout=240)  # a second run posts nothing again
        (invoice,) = xero.get("records/invoices")
        assert invoice["Reference"].endswith(str(order["id"]))
        assert [(x["ItemCode"], x["Quantity"]) for x in invoice["LineItems"]] == [("XSKU-00004", 3)]
        assert shop.call("GET", "/_emulator/stats")["invalid"] == 0
        assert xero.get("stats")["refused"] == 0
    finally:
        shop.stop()
        stop_process(xero.proc)
        if xero.proc.stdout is not None:
            xero.proc.stdout.close()
