"""End to end between two real connectors: Unleashed emulator -> daemon -> Shopify emulator
(products, prices, stock per warehouse mapped to Shopify locations)."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from harness import Daemon, config_file
from unleashed_support import API_ID, API_KEY, EmulatorProcess

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shopify"))
from shopify_support import SECRET, TOKEN
from shopify_support import EmulatorProcess as ShopifyProcess

pytestmark = pytest.mark.slow
ENV = {
    "UL_API_ID": API_ID,
    "UL_API_KEY": API_KEY,
    "SHOPIFY_TEST_TOKEN": TOKEN,
    "SHOPIFY_TEST_SECRET": SECRET,
}


def test_unleashed_catalogue_and_stock_reach_shopify(tmp_path: Path) -> None:
    unleashed = EmulatorProcess(
        tmp_path, "--products", "30", "--warehouses", "MAIN:Main warehouse,NORTH:North store"
    )
    shopify = ShopifyProcess(tmp_path)
    try:
        shopify.call("POST", "/_emulator/locations", {"name": "North store"})
        path = config_file(
            tmp_path,
            f"""
            [systems.unleashed]
            kind = "unleashed"
            url = "{unleashed.url}"
            credentials.api_id = {{ env = "UL_API_ID" }}
            credentials.api_key = {{ env = "UL_API_KEY" }}
            [systems.unleashed.budget.windows.month]
            limit = 100000
            mode = "calendar"

            [systems.shop]
            kind = "shopify"
            url = "{shopify.url}"
            credentials.access_token = {{ env = "SHOPIFY_TEST_TOKEN" }}
            credentials.client_secret = {{ env = "SHOPIFY_TEST_SECRET" }}
            [systems.shop.budget.windows.minute]
            limit = 60000
            [systems.shop.settings]
            api_version = "2026-01"
            location_map = {{ "Main warehouse" = "Main warehouse", "North store" = "North store" }}

            [connections.demo]
            source = "unleashed"
            channel = "shop"
            flows = ["products", "stock", "prices"]
            page_size = 1000
            [connections.demo.schedule]
            recent = "1h"
            """,
        )
        Daemon(path, ENV).run_ok(timeout=240)
        held: dict[str, Any] = {
            p["variants"][0]["sku"]: p
            for p in shopify.call("GET", "/_emulator/products")["products"]
        }
        assert len(held) == 30
        first = held["UL-00001"]["variants"][0]
        assert Decimal(str(first["price"])) == Decimal("11.50")
        assert first["levels"] == {"Main warehouse": 2, "North store": 3}
        assert held["UL-00003"]["variants"][0]["levels"].get("Main warehouse", 0) == 0
    finally:
        shopify.stop()
        unleashed.stop()
