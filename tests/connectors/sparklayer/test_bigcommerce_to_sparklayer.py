"""End to end: BigCommerce (its emulator, as the back office) -> daemon -> SparkLayer emulator:
products with prices, stock at two locations, customers, and BigCommerce's orders as
SparkLayer purchases (order history)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import config_file, start_listening, stop_process
from helpers import state
from sparklayer_support import SITE, EmulatorProcess, sparklayer_daemon

pytestmark = pytest.mark.slow

BC_TOKEN, BC_SECRET = "bc_test_token", "bc_test_secret"


@pytest.mark.timeout(300)
def test_bigcommerce_to_sparklayer(tmp_path: Path) -> None:
    proc, bc_url = start_listening(
        [sys.executable, "-m", "syncwright.connectors.bigcommerce", "--token", BC_TOKEN,
         "--secret", BC_SECRET, "--quota", "100000"],
        tmp_path / "bc.log",
        "bigcommerce emulator",
    )  # fmt: skip
    portal = EmulatorProcess(tmp_path, "--locations", "main,north", "--rate-limit", "100000")

    def bc(method: str, path: str, body: Any = None) -> Any:
        answer = httpx.request(
            method, f"{bc_url}{path}", json=body, headers={"X-Auth-Token": BC_TOKEN}, timeout=30
        )
        answer.raise_for_status()
        return answer.json()

    try:
        bc("POST", "/_emulator/locations", {"label": "North store"})
        for n in range(4):
            bc(
                "POST",
                "/_emulator/products",
                {
                    "name": f"Source product {n}",
                    "sku": f"BASE-{n}",
                    "price": 10 + n,
                    "variants": [
                        {
                            "sku": f"S-{n}-{size}",
                            "price": 10 + n,
                            "option_values": [{"option_display_name": "Size", "label": size}],
                        }
                        for size in ("S", "M")
                    ],
                },
            )
            for size in ("S", "M"):
                bc("POST", "/_emulator/stock", {"sku": f"S-{n}-{size}", "quantity": n + 1})
        placed = [
            bc("POST", "/_emulator/orders", {"lines": [{"sku": "S-1-M", "quantity": 2}],
                                              "email": f"b{n}@example.com"})["id"]
            for n in range(2)
        ]  # fmt: skip
        config = config_file(
            tmp_path,
            f"""
            [systems.bc]
            kind = "bigcommerce"
            url = "{bc_url}/stores/abc123"
            credentials.access_token = {{ env = "BC_TEST_TOKEN" }}
            credentials.client_secret = {{ env = "BC_TEST_SECRET" }}
            [systems.bc.budget.windows.minute]
            limit = 100000

            [systems.portal]
            kind = "sparklayer"
            url = "{portal.url}"
            credentials.client_id = {{ env = "SPARKLAYER_TEST_ID" }}
            credentials.client_secret = {{ env = "SPARKLAYER_TEST_SECRET" }}
            [systems.portal.settings]
            site_id = "{SITE}"
            price_list_name = "BigCommerce Price"
            location_map = {{ "Default location" = "main", "North store" = "north" }}

            [connections.demo]
            source = "bc"
            channel = "portal"
            flows = ["products", "stock", "prices", "customers", "purchases"]
            [connections.demo.schedule]
            recent = "2s"
            """,
        )
        daemon = sparklayer_daemon(config)
        daemon.env = {**daemon.env, "BC_TEST_TOKEN": BC_TOKEN, "BC_TEST_SECRET": BC_SECRET}
        daemon.run_ok(timeout=240)
        held = portal.state()
        skus = {v["sku"] for p in held["products"] for v in p["variants"]}
        assert {f"S-{n}-{s}" for n in range(4) for s in ("S", "M")} <= skus
        assert [p["slug"] for p in held["price_lists"]] == ["bigcommerce-price"]
        assert held["prices"]["bigcommerce-price"]["S-2-M"][0]["price"] == 12
        levels = {
            (r["sku"], r["stock_location_external_id"]): r["stock_level"] for r in held["stock"]
        }
        assert levels[("S-3-S", "main")] == 4
        purchases = {p["platform_id"]: p for p in held["purchases"]}
        assert set(purchases) == {str(oid) for oid in placed}
        assert purchases[str(placed[0])]["lines"][0]["sku"] == "S-1-M"
        assert state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)]
    finally:
        portal.stop()
        stop_process(proc, signal.SIGINT, timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
