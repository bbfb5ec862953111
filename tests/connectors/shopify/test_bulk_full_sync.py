"""Full syncs verify a large catalogue against one bulk read of Shopify, and fall back to the
paged reads when the bulk operation fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from harness import async_wait_until
from helpers import API_KEY, state
from shopify_support import SECRET, TOKEN, EmulatorProcess, shopify_config
from test_daemon_shopify import run_until_idle, shop_view, systems

from syncwright.connectors.base import OpenGate, SystemSpec
from syncwright.connectors.shopify.connector import ShopifyChannel
from syncwright.connectors.shopify.settings import ShopifySettings
from syncwright.daemon.config.load import load_config
from syncwright.daemon.supervisor import Supervisor

pytestmark = pytest.mark.slow
__all__ = ["systems"]


def config_with_threshold(tmp_path: Path, erp_url: str, shop_url: str, threshold: int) -> Path:
    path: Path = shopify_config(tmp_path, erp_url, shop_url)
    text = path.read_text().replace(
        'channel = "shop"\n', f'channel = "shop"\nbulk_read_threshold = {threshold}\n', 1
    )
    path.write_text(text)
    return path


def full_sync(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the daemon in-process in burst mode and start a full sync once it is up."""
    monkeypatch.setenv("SYNCWRIGHT_TEST_KEY", API_KEY)
    monkeypatch.setenv("SHOPIFY_TEST_TOKEN", TOKEN)
    monkeypatch.setenv("SHOPIFY_TEST_SECRET", SECRET)

    async def main() -> None:
        sup = Supervisor(load_config(config), config, burst=True)
        async with anyio.create_task_group() as tg:
            tg.start_soon(sup.run)
            with anyio.fail_after(120):
                await async_wait_until(
                    lambda: "demo" in sup.slots and sup.slots["demo"].actor.scheduler is not None,
                    timeout=120,
                    interval=0.01,
                    message="the demo actor never started",
                )
                assert await sup.slots["demo"].actor.start_full_sync(["products"]) is not None

    anyio.run(main)


def drift(emu: EmulatorProcess, source_id: str) -> None:
    """Rename a product directly on Shopify, behind the daemon's back."""

    async def main() -> None:
        spec = SystemSpec(
            "shop",
            "shopify",
            emu.url,
            ShopifySettings(api_version="2026-01"),
            {"access_token": TOKEN},
        )
        shop = ShopifyChannel(spec, OpenGate())
        try:
            held = (await shop.read_products([source_id]))[source_id]
            [result] = await shop.upsert_products([held.model_copy(update={"title": "Drifted"})])
            assert result.ok, result
        finally:
            await shop.aclose()

    anyio.run(main)


def ops(emu: EmulatorProcess) -> dict[str, int]:
    found: dict[str, int] = emu.call("GET", "/_emulator/stats")["by_operation"]
    return found


def last_run(config: Path) -> list[tuple[Any, ...]]:
    return state(config, "SELECT reason, state FROM full_runs ORDER BY run_id DESC LIMIT 1")


@pytest.mark.parametrize("bulk_fails", [False, True], ids=["bulk", "bulk-fails"])
def test_full_sync_verifies_against_one_bulk_read(
    systems: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk_fails: bool
) -> None:
    erp, emu = systems
    config = config_with_threshold(tmp_path, erp.url, emu.url, threshold=10)
    run_until_idle(config)  # the first start: everything written by the first pulls
    source_id = sorted(shop_view(emu))[4]
    title = shop_view(emu)[source_id]["title"]
    drift(emu, source_id)
    assert shop_view(emu)[source_id]["title"] == "Drifted"
    if bulk_fails:
        emu.call("POST", "/_emulator/faults", {"bulk_fail_rate": 1.0})

    before = ops(emu)
    full_sync(config, monkeypatch)
    after = ops(emu)
    assert last_run(config) == [("operator", "done")]
    assert shop_view(emu)[source_id]["title"] == title, "the drift was not repaired"
    assert after["productSet"] - before.get("productSet", 0) == 1, "only the drift is written"
    bulk_runs = after.get("bulkOperationRunQuery", 0) - before.get("bulkOperationRunQuery", 0)
    reads = after.get("productByIdentifier", 0) - before.get("productByIdentifier", 0)
    assert bulk_runs == 1
    if bulk_fails:
        assert reads >= 25, "the paged reads must take over"
    else:
        assert reads == 0, "the bulk read must replace the per-page reads"


def test_small_catalogues_keep_the_paged_reads(
    systems: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    erp, emu = systems
    config = config_with_threshold(tmp_path, erp.url, emu.url, threshold=1000)
    run_until_idle(config)
    before = ops(emu)
    full_sync(config, monkeypatch)
    after = ops(emu)
    assert last_run(config) == [("operator", "done")]
    assert after.get("bulkOperationRunQuery", 0) == before.get("bulkOperationRunQuery", 0)
    assert after["productByIdentifier"] - before.get("productByIdentifier", 0) >= 25
    assert after.get("productSet", 0) == before.get("productSet", 0)
