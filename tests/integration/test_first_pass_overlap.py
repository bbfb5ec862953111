"""The first stock pass runs beside the products' first pass, a page behind, instead of after
it: stock pages are written while product pages still arrive, yet no level is parked or
written twice (each page waits until its SKUs are linked). Real daemon process, sandbox ERP
and shop over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import api, assert_converged, run_ok, state, write_config

pytestmark = pytest.mark.slow


def test_first_stock_pass_follows_the_products_pass_closely(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=400, variants=1)
    config = write_config(tmp_path, box, page_size=25)
    run_ok(config)
    snap = assert_converged(box)
    stats = api(box.shop, "GET", "/admin/stats")
    levels = len(snap["erp_stock"])
    assert stats["product_writes"] == 400
    assert stats["stock_writes"] == levels, "every level is written exactly once"
    assert state(config, "SELECT count(*) FROM jobs WHERE kind = 'stock_waiting'") == [(0,)]
    assert state(config, "SELECT count(*) FROM stock_state WHERE pending IS NOT NULL") == [(0,)]
    # Side by side: stock was pushed before the products' pass wrote its last page.
    ((first_stock,),) = state(config, "SELECT min(pushed_at) FROM stock_state")
    ((last_product,),) = state(
        config, "SELECT max(written_at) FROM item_state WHERE entity = 'product'"
    )
    assert first_stock < last_product, "the stock pass only started after the products' pass"
