"""A short seeded Shopify storm (scripts/storm_shopify.py): the sandbox ERP -> the daemon -> the
Shopify emulator, with products of two variants at two locations, about a minute of catalogue
and stock changes, orders (repeat buyers, an e-mail two ERP customers share) fulfilled and
cancelled, every emulator fault switch in turn and SIGKILLs of the daemon, one while an order
is being posted. After quiescence products, prices, the "Shopify Price" list and stock agree,
every order is in the ERP once, and the only problems the daemon records are the shared
e-mail's orders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))

from storm_shopify import FAULTS, SHARED, Options, ShopifyStorm, start_systems

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_a_short_shopify_storm_converges_with_every_order_once(tmp_path: Path) -> None:
    options = Options(
        seed=14, products=60, changes=60, orders=16, kills=3, minutes=0.75, converge_timeout=180
    )
    erp, emu = start_systems(tmp_path, options)
    try:
        report = ShopifyStorm(erp, emu, tmp_path / "storm", options).run()
    finally:
        emu.stop()
        erp.stop()
    print(report.text())
    verdict = report.verdict
    assert len(report.kills) == 3
    assert any(k["aimed_at_post"] for k in report.kills)
    assert len(report.faults) == len(FAULTS) + 1  # every switch, then all at once
    assert report.orders["fulfilled"] > 0, report.text()
    assert verdict.missing_orders == [], report.text()
    assert verdict.duplicate_orders == [], report.text()
    assert verdict.unprocessed_orders == [], report.text()
    assert verdict.customer_differences == [], report.text()
    assert verdict.order_differences == [], report.text()
    assert verdict.product_differences == [], report.text()
    assert report.converged, report.text()
    assert verdict.unexpected_problems == [], report.text()
    assert verdict.orders == report.orders["placed"]
    shared = verdict.expected_problems
    assert shared and all(SHARED in line.lower() or "shared" in line for line in shared), shared
