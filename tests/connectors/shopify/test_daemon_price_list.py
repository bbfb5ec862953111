"""End to end: the daemon creates "Shopify Price" on connect and keeps its prices in step."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import api, state
from shopify_support import TOKEN, EmulatorProcess, shopify_config
from test_daemon_shopify import erp_products, run_until_idle, systems

pytestmark = pytest.mark.slow
__all__ = ["systems"]

LISTS = """{ priceLists(first: 2) { nodes { id name currency fixedPricesCount
  prices(first: 100) { nodes { price { amount } variant { sku } } } } } }"""


def price_lists(emu: EmulatorProcess) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{emu.url}/admin/api/2026-01/graphql.json",
        json={"query": LISTS},
        headers={"X-Shopify-Access-Token": TOKEN},
        timeout=30,
    )
    body = response.json()
    assert "errors" not in body, body
    lists: list[dict[str, Any]] = body["data"]["priceLists"]["nodes"]
    return lists


def fixed(entry: dict[str, Any]) -> dict[str, Decimal]:
    return {n["variant"]["sku"]: Decimal(n["price"]["amount"]) for n in entry["prices"]["nodes"]}


def writes(emu: EmulatorProcess) -> dict[str, int]:
    ops: dict[str, int] = emu.call("GET", "/_emulator/stats")["by_operation"]
    return ops


def test_price_list_exists_after_connect_and_follows_prices(systems: Any, tmp_path: Path) -> None:
    erp, emu = systems
    config = shopify_config(tmp_path, erp.url, emu.url)
    run_until_idle(config)
    [entry] = price_lists(emu)
    assert entry["name"] == "Shopify Price" and entry["currency"] == "EUR"
    want = {
        v["sku"]: Decimal(str(v["price"])) for p in erp_products(erp.url) for v in p["variants"]
    }
    assert fixed(entry) == want
    assert state(config, "SELECT source_id, channel_id FROM links WHERE entity = 'price_list'") == [
        ("Shopify Price", entry["id"])
    ]

    # Nothing changed at the source: nothing is written, to the list or anywhere.
    before = writes(emu)
    run_until_idle(config)
    after = writes(emu)
    for op in ("productSet", "priceListFixedPricesAdd", "priceListCreate"):
        assert after.get(op, 0) == before.get(op, 0), op

    # A price change in the ERP reaches the list with the product's write.
    product = erp_products(erp.url)[3]
    variant = product["variants"][0]
    api(
        erp.url,
        "PATCH",
        f"/admin/products/{product['id']}",
        {"variants": [{"id": variant["id"], "price": "123.45"}]},
    )
    run_until_idle(config)
    [entry] = price_lists(emu)
    assert fixed(entry)[variant["sku"]] == Decimal("123.45")
    assert fixed(entry) == {**want, variant["sku"]: Decimal("123.45")}
    final = writes(emu)
    assert final["priceListFixedPricesAdd"] == after["priceListFixedPricesAdd"] + 1
    assert final["productSet"] == after["productSet"] + 1
    assert final.get("priceListCreate", 0) == 1
