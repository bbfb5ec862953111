"""Change events: queued as class-2 jobs that fetch the current item and write what differs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import (
    Sandbox,
    api,
    assert_converged,
    enqueue,
    run_ok,
    state,
    write_config,
)

from syncwright.daemon.flows.events import event_spec

pytestmark = pytest.mark.slow


def reset(box: Sandbox) -> None:
    api(box.erp, "POST", "/admin/reset-stats")
    api(box.shop, "POST", "/admin/reset-stats")


def shop_title(box: Sandbox, product_id: str) -> str:
    title: str = api(box.shop, "GET", "/api/products", external_ids=product_id)["items"][0]["title"]
    return title


@pytest.fixture
def synced(sandbox_factory: Any, tmp_path: Path) -> tuple[Sandbox, Path]:
    """Sandboxes in step after a first run; then the connection schedules no pulls, so only
    the events queued by a test do any work."""
    box = sandbox_factory(products=20, variants=1)
    config = write_config(tmp_path, box, page_size=50)
    run_ok(config)
    assert_converged(box)
    config.write_text(
        config.read_text().replace('flows = ["products", "stock"]', 'flows = ["prices"]')
    )
    return box, config


def test_an_event_fetches_the_item_and_its_stock_and_writes_only_that(
    synced: tuple[Sandbox, Path],
) -> None:
    box, config = synced
    edited = api(box.erp, "PATCH", "/admin/products/7", {"title": "Edited by event"})
    sku = edited["variants"][0]["sku"]
    api(box.erp, "PUT", "/admin/stock", {"sku": sku, "location": "central", "quantity": 4321})
    reset(box)
    # The webhook arrived twice for the same change: one job.
    merged = enqueue(
        config,
        event_spec("product", "7", edited["modified_at"]),
        event_spec("product", "7", edited["modified_at"]),
    )
    assert merged == [False, True]
    assert state(config, "SELECT count(*) FROM jobs WHERE kind = 'event'") == [(1,)]
    run_ok(config)
    erp, shop = api(box.erp, "GET", "/admin/stats"), api(box.shop, "GET", "/admin/stats")
    # About two calls: the item and its stock. No change pull ran.
    assert erp["calls"] == {"GET /api/products/{id}": 1, "GET /api/stock/by-sku": 1}
    assert (shop["product_writes"], shop["stock_writes"]) == (1, 1)
    assert shop_title(box, "7") == "Edited by event"
    assert_converged(box)
    assert state(config, "SELECT state FROM jobs WHERE kind = 'event'") == [("done",)]


def test_an_event_older_than_what_was_written_writes_nothing(
    synced: tuple[Sandbox, Path],
) -> None:
    box, config = synced
    edited = api(box.erp, "PATCH", "/admin/products/7", {"title": "Newest"})
    enqueue(config, event_spec("product", "7", edited["modified_at"]))
    run_ok(config)
    assert shop_title(box, "7") == "Newest"
    # A notice of an older version arrives late, and the back office hands back data stamped
    # older than what we wrote (a lagging replica): the shop keeps the newer data.
    old = "2020-01-01T00:00:00Z"
    api(box.erp, "PATCH", "/admin/products/7", {"title": "Older copy", "modified_at": old})
    reset(box)
    enqueue(config, event_spec("product", "7", old))
    run_ok(config)
    shop = api(box.shop, "GET", "/admin/stats")
    assert (shop["product_writes"], shop["stock_writes"]) == (0, 0)
    assert shop_title(box, "7") == "Newest"
    assert state(config, "SELECT state FROM jobs WHERE kind = 'event'") == [("done",), ("done",)]


def test_a_stock_event_writes_only_the_level_that_changed(synced: tuple[Sandbox, Path]) -> None:
    box, config = synced
    sku = api(box.erp, "GET", "/api/products/3")["variants"][0]["sku"]
    api(box.erp, "PUT", "/admin/stock", {"sku": sku, "location": "north", "quantity": 7})
    reset(box)
    merged = enqueue(
        config,
        event_spec("stock", f"{sku}|north", "2026-11-22T10:00:00Z"),
        event_spec("stock", f"{sku}|north"),
        event_spec("stock", "no-such-sku"),
    )
    assert merged == [False, True, False]
    run_ok(config)
    assert api(box.shop, "GET", "/admin/stats")["stock_writes"] == 1
    levels = api(box.shop, "GET", "/api/inventory", skus=sku)["items"]
    assert {lvl["location"]: lvl["quantity"] for lvl in levels}["north"] == 7
    assert api(box.erp, "GET", "/admin/stats")["calls"] == {"GET /api/stock/by-sku": 2}
    assert_converged(box)
