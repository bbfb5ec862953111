"""End to end with BigCommerce as the source: the emulator (a process) -> the daemon (a
process) -> the sandbox shop. Products and stock per location arrive; an edit arrives through
the date_modified feed, a stock-only change (which does not touch date_modified) through the
inventory listing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from bc_support import SECRET, TOKEN, EmulatorProcess, bc_daemon
from harness import config_file
from helpers import API_KEY, start_server

from syncwright.connectors.base import ListQuery, OpenGate, SystemSpec
from syncwright.connectors.bigcommerce.connector import BigCommerceConnector
from syncwright.connectors.bigcommerce.settings import BigCommerceSettings
from syncwright.connectors.sandbox.clients.build import build_shop
from syncwright.connectors.sandbox.clients.settings import SandboxShopSettings

pytestmark = pytest.mark.slow
PRODUCTS = 12


def seed(emu: EmulatorProcess) -> None:
    for n in range(PRODUCTS):
        emu.call(
            "POST",
            "/_emulator/products",
            {
                "name": f"Source product {n}",
                "sku": f"BASE-{n}",
                "price": 10 + n,
                "custom_url": {"url": f"/source-{n}/", "is_customized": True},
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
            emu.call("POST", "/_emulator/stock", {"sku": f"S-{n}-{size}", "quantity": n + 1})
            emu.call(
                "POST",
                "/_emulator/stock",
                {"sku": f"S-{n}-{size}", "quantity": 2 * n, "location": "North store"},
            )


def config(tmp: Path, bc_base: str, shop_url: str) -> Path:
    return config_file(
        tmp,
        f"""
        [systems.bc]
        kind = "bigcommerce"
        url = "{bc_base}"
        credentials.access_token = {{ env = "BC_TEST_TOKEN" }}
        credentials.client_secret = {{ env = "BC_TEST_SECRET" }}
        [systems.bc.budget.windows.second]
        limit = 5
        [systems.bc.budget.windows.minute]
        limit = 300

        [systems.shop]
        kind = "sandbox-shop"
        url = "{shop_url}"
        credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}
        [systems.shop.settings]
        location_map = {{ "Default location" = "central", "North store" = "north" }}

        [connections.demo]
        source = "bc"
        channel = "shop"
        flows = ["products", "stock"]
        page_size = 5
        overlap = "2m"
        [connections.demo.schedule]
        recent = "2s"
        deletions = "1s"
        """,
    )


async def both_sides(bc_base: str, shop_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(BigCommerce, shop): product content hashes by id and stock by "SKU|location"."""
    bc = BigCommerceConnector(
        SystemSpec(
            "bc",
            "bigcommerce",
            bc_base,
            BigCommerceSettings(),
            {"access_token": TOKEN, "client_secret": SECRET},
        ),
        OpenGate(),
    )
    shop = build_shop(
        SystemSpec(
            "shop",
            "sandbox-shop",
            shop_url,
            SandboxShopSettings(
                location_map={"Default location": "central", "North store": "north"}
            ),
            {"api_key": API_KEY},
        ),
        OpenGate(),
    )
    try:
        products = (await bc.list_products(ListQuery(after=None, limit=250))).items
        stock = (await bc.list_stock(ListQuery(after=None, limit=1000))).items
        mine = {
            "products": {p.external_id: p.content_hash() for p in products},
            "stock": {f"{s.sku}|{s.location}": s.quantity for s in stock},
        }
        held = await shop.read_products([p.external_id for p in products])
        levels = await shop.read_stock(sorted({s.sku for s in stock}))
        theirs = {
            "products": {k: p.content_hash() for k, p in held.items()},
            "stock": {f"{s.sku}|{s.location}": s.quantity for s in levels},
        }
        return mine, theirs
    finally:
        await bc.aclose()
        await shop.aclose()


async def shop_status(shop_url: str, product_id: str) -> str | None:
    shop = build_shop(
        SystemSpec("shop", "sandbox-shop", shop_url, SandboxShopSettings(), {"api_key": API_KEY}),
        OpenGate(),
    )
    try:
        held = await shop.read_products([product_id])
    finally:
        await shop.aclose()
    return held[product_id].status if product_id in held else None


def converged(bc_base: str, shop_url: str) -> dict[str, Any]:
    mine, theirs = anyio.run(both_sides, bc_base, shop_url)
    assert mine["products"] == theirs["products"]
    assert mine["stock"] == theirs["stock"]
    return mine


def test_bigcommerce_as_source_feeds_a_shop(tmp_path: Path) -> None:
    emu = EmulatorProcess(tmp_path)
    shop = start_server("shop", tmp_path / "shop.db")
    try:
        emu.call("POST", "/_emulator/locations", {"label": "North store"})
        seed(emu)
        cfg = config(tmp_path, emu.base, shop.url)
        bc_daemon(cfg).run_ok(timeout=240)
        first = converged(emu.base, shop.url)
        assert len(first["products"]) == PRODUCTS and len(first["stock"]) == 4 * PRODUCTS

        # An edit (date_modified feed) and a stock-only change (inventory listing).
        pid = int(next(iter(first["products"])))
        emu.call("POST", "/_emulator/products", {"id": pid, "name": "Renamed at the source"})
        emu.call("POST", "/_emulator/stock", {"sku": "S-3-M", "quantity": 77})
        bc_daemon(cfg).run_ok(timeout=240)
        second = converged(emu.base, shop.url)
        assert second["stock"]["S-3-M|Default location"] == 77
        assert second["products"][str(pid)] != first["products"][str(pid)]
        # A hard delete never shows in a date_modified feed: the id listing finds it gone.
        gone = str(sorted(int(p) for p in first["products"])[-1])
        emu.call("POST", "/_emulator/products", {"id": int(gone), "delete": True})
        bc_daemon(cfg).run_ok(timeout=240)
        assert anyio.run(shop_status, shop.url, gone) == "discontinued"
        stats = emu.call("GET", "/_emulator/stats")
        assert stats["rejected"] == 0 and stats["peak_window"] <= 150, stats
    finally:
        emu.stop()
        shop.stop()
