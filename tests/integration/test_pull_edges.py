"""Edge cases of change pulls against the sandbox (DESIGN.md rules 1 and 2): ties at page
boundaries, same-second edits, edits while paging, a source clock behind ours, deletes, and
MISSION's smart stock example."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from helpers import API_KEY, Sandbox, api, assert_converged, run_ok, write_config

from syncwright.connectors.base import ChangeQuery, Page
from syncwright.connectors.sandbox.clients.erp import SandboxErp
from syncwright.daemon.config.load import load_config
from syncwright.daemon.supervisor import Supervisor

pytestmark = pytest.mark.slow


def writes(box: Sandbox) -> tuple[int, int]:
    stats = api(box.shop.url, "GET", "/admin/stats")
    return stats["product_writes"], stats["stock_writes"]


def shop_product(box: Sandbox, pid: str) -> dict[str, Any]:
    [item] = api(box.shop.url, "GET", f"/api/products?external_ids={pid}")["items"]
    return dict(item)


def no_overlap(config: Path) -> Path:
    """The same config without the overlap window: only the inclusive restart is left."""
    config.write_text(config.read_text().replace('overlap = "2m"', 'overlap = "0s"'))
    return config


def stamp(seconds_from_now: int) -> str:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds_from_now)
    return when.isoformat().replace("+00:00", "Z")


def test_only_the_stock_level_that_changed_is_written(sandbox_factory: Any, tmp_path: Path) -> None:
    box = sandbox_factory(products=10, variants=1)
    config = write_config(tmp_path, box)
    run_ok(config)
    a, b, c = api(box.erp.url, "GET", "/api/stock?limit=3")["items"]
    for level in (a, b, c):
        body = {"sku": level["sku"], "location": level["location"], "quantity": 7}
        api(box.erp.url, "PUT", "/admin/stock", body)
    run_ok(config)
    before = writes(box)
    api(
        box.erp.url,
        "PUT",
        "/admin/stock",
        {"sku": a["sku"], "location": a["location"], "quantity": 5},
    )
    for level in (b, c):  # touched, but still 7
        body = {"sku": level["sku"], "location": level["location"], "quantity": 7}
        api(box.erp.url, "PUT", "/admin/stock", body)
    run_ok(config)
    assert writes(box)[1] - before[1] == 1, "A went 7 -> 5; B and C did not change"
    snap = assert_converged(box)
    assert snap["shop_stock"][f"{a['sku']}|{a['location']}"] == 5


def test_equal_modified_times_across_page_boundaries(sandbox_factory: Any, tmp_path: Path) -> None:
    box = sandbox_factory(products=20, variants=1)
    config = write_config(tmp_path, box, page_size=4)
    run_ok(config)
    same = stamp(5)
    for pid in range(3, 14):  # 11 items in one second, split over three pages of 4
        api(
            box.erp.url,
            "PATCH",
            f"/admin/products/{pid}",
            {"title": f"Tick {pid}", "modified_at": same},
        )
    before = writes(box)
    run_ok(config)
    assert writes(box)[0] - before[0] == 11
    assert_converged(box)


def test_an_item_changed_again_in_the_same_second_after_it_was_read(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=10, variants=1)
    config = no_overlap(write_config(tmp_path, box))
    run_ok(config)
    second = stamp(5)
    for pid in (5, 9):
        api(
            box.erp.url,
            "PATCH",
            f"/admin/products/{pid}",
            {"title": "First", "modified_at": second},
        )
    run_ok(config)  # the high-water mark is now (second, 9)
    # Product 5 changes again in that same second, with a lower id than the last one read.
    api(box.erp.url, "PATCH", "/admin/products/5", {"title": "Second", "modified_at": second})
    before = writes(box)
    run_ok(config)
    assert writes(box)[0] - before[0] == 1, "5 is written again; 9, read again, is not"
    assert shop_product(box, "5")["title"] == "Second"


def test_an_item_edited_while_paging_arrives_in_its_final_state(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = sandbox_factory(products=20, variants=1)
    config = write_config(tmp_path, box, page_size=4)
    run_ok(config)
    for pid in range(1, 13):
        api(box.erp.url, "PATCH", f"/admin/products/{pid}", {"title": f"Batch {pid}"})
    original = SandboxErp.changed_products
    edited: list[str] = []

    async def edit_after_reading(self: SandboxErp, query: ChangeQuery) -> Page[Any]:
        page = await original(self, query)
        if not edited and any(p.external_id == "1" for p in page.items):
            async with httpx.AsyncClient(headers={"Authorization": f"Bearer {API_KEY}"}) as http:
                # A later clock tick than the batch (an edit in the same second is the
                # same-second case above: seen by the next pass, through its inclusive start).
                body = {"title": "Edited while paging", "modified_at": stamp(2)}
                (await http.patch(f"{box.erp.url}/admin/products/1", json=body)).raise_for_status()
            edited.append("1")
        return page

    monkeypatch.setattr(SandboxErp, "changed_products", edit_after_reading)
    monkeypatch.setenv("SYNCWRIGHT_TEST_KEY", API_KEY)
    before = writes(box)

    async def main() -> None:
        with anyio.fail_after(60):
            await Supervisor(load_config(config), config, burst=True).run()

    anyio.run(main)
    assert edited == ["1"]
    assert shop_product(box, "1")["title"] == "Edited while paging"
    assert writes(box)[0] - before[0] == 13, "the twelve, and the one edited again"
    assert_converged(box)


def test_a_source_clock_two_minutes_behind_ours(sandbox_factory: Any, tmp_path: Path) -> None:
    box = sandbox_factory(products=10, variants=1)
    api(box.erp.url, "POST", "/admin/clock", {"offset_seconds": -120})
    for pid in range(1, 11):  # every item stamped by the slow clock
        api(box.erp.url, "PATCH", f"/admin/products/{pid}", {"title": f"Slow {pid}"})
    config = no_overlap(write_config(tmp_path, box))
    run_ok(config)
    api(box.erp.url, "PATCH", "/admin/products/4", {"title": "Changed on a slow clock"})
    before = writes(box)
    run_ok(config)
    assert writes(box)[0] - before[0] == 1
    assert shop_product(box, "4")["title"] == "Changed on a slow clock"


def test_a_product_deleted_at_the_source_is_discontinued(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=6, variants=1)
    config = write_config(tmp_path, box)
    run_ok(config)
    assert shop_product(box, "4")["status"] == "live"
    api(box.erp.url, "DELETE", "/admin/products/4")
    before = writes(box)
    run_ok(config)
    assert writes(box)[0] - before[0] == 1
    assert shop_product(box, "4")["status"] == "discontinued"
