"""End to end: the daemon creates "Shopify Price" on connect and keeps its prices in step."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from harness import wait_until
from helpers import API_KEY, api, state
from shopify_support import TOKEN, EmulatorProcess, shopify_config
from test_daemon_shopify import erp_products, run_until_idle, systems

from syncwright.connectors.base import OpenGate, SystemSpec
from syncwright.connectors.errors import TransientError
from syncwright.connectors.sandbox.clients.build import build_erp
from syncwright.connectors.sandbox.clients.settings import SandboxErpSettings
from syncwright.connectors.shopify.connector import ShopifyChannel
from syncwright.connectors.shopify.settings import ShopifySettings

pytestmark = pytest.mark.slow
__all__ = ["systems"]

LISTS = """{ priceLists(first: 2) { nodes { id name currency fixedPricesCount
  prices(first: 100) { nodes { price { amount } variant { sku } } } } } }"""


def price_lists(emu: EmulatorProcess) -> list[dict[str, Any]]:
    """The shop's price lists; asked again while the daemon's calls left the bucket empty."""

    def ask() -> list[dict[str, Any]] | None:
        response = httpx.post(
            f"{emu.url}/admin/api/2026-01/graphql.json",
            json={"query": LISTS},
            headers={"X-Shopify-Access-Token": TOKEN},
            timeout=30,
        )
        body = response.json()
        if "THROTTLED" in str(body.get("errors")):
            return None
        assert "errors" not in body, body
        lists: list[dict[str, Any]] = body["data"]["priceLists"]["nodes"]
        return lists

    found: list[dict[str, Any]] = wait_until(ask, timeout=60, message="throttled for a minute")
    return found


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


def test_a_half_done_write_is_finished_by_the_next_verification(
    systems: Any, tmp_path: Path
) -> None:
    """Issue 14 item 9: productSet went through, priceListFixedPricesAdd did not. Verification
    read back only the product, found it equal and never wrote the list again."""
    erp, emu = systems
    config = shopify_config(tmp_path, erp.url, emu.url)
    run_until_idle(config)
    product = erp_products(erp.url)[3]
    variant = product["variants"][0]
    # A change the change pulls cannot see (stamped long ago): only verification finds it.
    api(
        erp.url,
        "PATCH",
        f"/admin/products/{product['id']}",
        {
            "variants": [{"id": variant["id"], "price": "58.95"}],
            "modified_at": "2020-01-01T00:00:00Z",
        },
    )

    async def half_write() -> None:
        source = build_erp(
            SystemSpec("erp", "sandbox-erp", erp.url, SandboxErpSettings(), {"api_key": API_KEY}),
            OpenGate(),
        )
        shop = ShopifyChannel(
            SystemSpec(
                "shop",
                "shopify",
                emu.url,
                ShopifySettings(api_version="2026-01"),
                {"access_token": TOKEN, "client_secret": "shpss_test_secret"},
            ),
            OpenGate(),
        )
        try:
            changed = await source.get_product(str(product["id"]))
            assert changed is not None
            emu.call("POST", "/_emulator/faults", {"fail_fields": ["priceListFixedPricesAdd"]})
            with pytest.raises(TransientError):
                await shop.upsert_products([changed])
            emu.call("POST", "/_emulator/faults", {"fail_fields": []})
        finally:
            await source.aclose()
            await shop.aclose()

    anyio.run(half_write)
    [entry] = price_lists(emu)
    assert fixed(entry)[variant["sku"]] != Decimal("58.95"), "the list write went through"
    # The next ghost sweep takes this product first.
    state(config, "UPDATE connection_state SET last_ghost_at = 0")
    state(
        config,
        "UPDATE item_state SET last_verified_at = 1 WHERE entity = 'product' AND source_id = ?",
        (str(product["id"]),),
    )
    run_until_idle(config)
    [entry] = price_lists(emu)
    assert fixed(entry)[variant["sku"]] == Decimal("58.95")
