"""Full syncs, ghost sweeps, manual item syncs, smart sync now, the sync log and ``forget``,
against the sandbox ERP and shop over HTTP (the daemon as a process, or in-process where an
operator request is made the way the control socket will make it)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from harness import async_wait_until, syncwright
from helpers import (
    API_KEY,
    Sandbox,
    api,
    assert_converged,
    daemon_env,
    run_ok,
    state,
    write_config,
)

from syncwright.connectors.base import OpenGate, SystemSpec
from syncwright.connectors.model import Product, StockLevel
from syncwright.connectors.sandbox.clients.build import build_shop
from syncwright.connectors.sandbox.clients.settings import SandboxShopSettings
from syncwright.daemon.actor import Actor
from syncwright.daemon.config.load import load_config
from syncwright.daemon.supervisor import Supervisor

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCWRIGHT_TEST_KEY", API_KEY)  # for the in-process daemon


change = state


def calls(url: str) -> dict[str, int]:
    stats: dict[str, int] = api(url, "GET", "/admin/stats")["calls"]
    return stats


def writes(box: Sandbox) -> tuple[int, int]:
    stats = api(box.shop.url, "GET", "/admin/stats")
    return stats["product_writes"], stats["stock_writes"]


def operator(config: Path, request: Callable[[Actor], Awaitable[object]]) -> None:
    """Run the daemon in-process in burst mode and make an operator request once it is up."""

    async def main() -> None:
        sup = Supervisor(load_config(config), config, burst=True)
        async with anyio.create_task_group() as tg:
            tg.start_soon(sup.run)
            with anyio.fail_after(60):
                await async_wait_until(
                    lambda: "demo" in sup.slots and sup.slots["demo"].actor.scheduler is not None,
                    timeout=60,
                    interval=0.002,
                    message="the demo actor never started",
                )
                await request(sup.slots["demo"].actor)

    anyio.run(main)


def on_shop(box: Sandbox, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Act on the shop through its own API (edits made there directly, behind our back)."""

    async def main() -> Any:
        spec = SystemSpec(
            "shop", "sandbox-shop", box.shop.url, SandboxShopSettings(), {"api_key": API_KEY}
        )
        shop = build_shop(spec, OpenGate())
        try:
            return await work(shop)
        finally:
            await shop.aclose()

    return anyio.run(main)


def drift_titles(box: Sandbox, ids: list[str]) -> None:
    async def work(shop: Any) -> None:
        held: dict[str, Product] = await shop.read_products(ids)
        await shop.upsert_products(
            [p.model_copy(update={"title": "Edited on the shop"}) for p in held.values()]
        )

    on_shop(box, work)


def shop_products(box: Sandbox, ids: list[str]) -> dict[str, Product]:
    return on_shop(box, lambda shop: shop.read_products(ids))  # type: ignore[no-any-return]


def level(raw: dict[str, Any], quantity: int) -> StockLevel:
    return StockLevel(sku=raw["sku"], location=raw["location"], quantity=quantity)


def last_full(config: Path) -> float | None:
    rows = state(config, "SELECT last_full_sync FROM connection_state WHERE connection = 'demo'")
    return rows[0][0] if rows else None


def test_first_start_runs_a_full_sync_by_itself(sandbox_factory: Any, tmp_path: Path) -> None:
    box = sandbox_factory(products=30, variants=1)
    config = write_config(tmp_path, box, page_size=10)
    run_ok(config)
    # The first change pulls read everything from the start: the full run left its work to
    # them instead of writing each item twice.
    assert writes(box) == (30, 60)
    assert "GET /api/products" not in calls(box.erp.url)
    assert_converged(box)
    runs = state(config, "SELECT reason, state, finished_at FROM full_runs")
    assert [(r[0], r[1]) for r in runs] == [("first start", "done")]
    assert last_full(config) == runs[0][2]
    stderr = run_ok(config)
    assert len(state(config, "SELECT * FROM full_runs")) == 1, "only the first start runs one"
    logged = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    [rotation] = [e for e in logged if e["event"] == "ghost.rotation"]
    assert (rotation["links"], rotation["batch"], rotation["rotation_seconds"]) == (30, 10, 10800)

    # A connection that has pulled before but never finished a full sync: a real full pass,
    # confirming the products on the shop and pushing every quantity.
    change(config, "DELETE FROM full_runs")
    api(box.erp.url, "POST", "/admin/reset-stats")
    before = writes(box)
    run_ok(config)
    assert calls(box.erp.url)["GET /api/products"] == 3  # 30 products, 10 a page
    after = writes(box)
    assert (after[0] - before[0], after[1] - before[1]) == (0, 60)
    assert state(config, "SELECT reason, state FROM full_runs") == [("first start", "done")]


def test_full_sync_repairs_drift_made_on_the_shop(sandbox_factory: Any, tmp_path: Path) -> None:
    box = sandbox_factory(products=20, variants=1)
    config = write_config(tmp_path, box, page_size=8)
    run_ok(config)
    first = last_full(config)
    drift_titles(box, ["3", "11"])
    raw = api(box.erp.url, "GET", "/api/stock?limit=1")["items"][0]
    on_shop(box, lambda shop: shop.set_stock([level(raw, 999)]))
    before = writes(box)
    operator(config, lambda actor: actor.start_full_sync())
    after = writes(box)
    assert after[0] - before[0] == 2, "only the two drifted products are written"
    assert after[1] - before[1] == 40, "a full stock sync pushes every quantity"
    assert_converged(box)
    latest = last_full(config)
    assert first is not None and latest is not None and latest > first
    assert state(config, "SELECT reason, state FROM full_runs ORDER BY run_id DESC LIMIT 1") == [
        ("operator", "done")
    ]


def test_a_full_sync_stopped_by_the_budget_resumes_where_it_stopped(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=30, variants=1)
    config = write_config(tmp_path, box, page_size=5)
    run_ok(config)
    first = last_full(config)
    ids = [str(i) for i in range(1, 31)]
    drift_titles(box, ids)
    budget = """
        [systems.shop.budget.windows.hour]
        limit = {limit}
        [systems.shop.budget.reserve]
        full = 0.0
        """
    # Each products slice costs the shop two calls (read, then write the drift): 8 calls buy
    # four of the six slices, then class 4 must wait for the next hour.
    config = write_config(tmp_path, box, page_size=5, extra=budget.format(limit=8))
    api(box.erp.url, "POST", "/admin/reset-stats")
    operator(config, lambda actor: actor.start_full_sync())
    [(run, run_state, slices_done)] = state(
        config, "SELECT run_id, state, slices_done FROM full_runs WHERE reason = 'operator'"
    )
    assert (run_state, slices_done) == ("running", 4)
    assert last_full(config) == first, "last_full_sync is written only when the run finishes"
    erp_titles = {p["id"]: p["title"] for p in api(box.erp.url, "GET", "/api/products")["items"]}
    held = shop_products(box, ids)
    assert sum(held[i].title == erp_titles[int(i)] for i in ids) == 20

    config = write_config(tmp_path, box, page_size=5, extra=budget.format(limit=1000))
    run_ok(config)
    listings = calls(box.erp.url).get("GET /api/products", 0)
    assert_converged(box)
    assert state(config, "SELECT state FROM full_runs WHERE run_id = ?", (run,)) == [("done",)]
    latest = last_full(config)
    assert first is not None and latest is not None and latest > first
    # Resumed, not restarted: each of the six product pages was listed once.
    afters = state(
        config,
        "SELECT json_extract(payload, '$.after') FROM jobs WHERE kind = 'full'"
        " AND json_extract(payload, '$.run') = ? AND json_extract(payload, '$.flow') = 'products'",
        (run,),
    )
    assert len(afters) == 6 and len(set(afters)) == 6
    assert listings == 6 + 1  # ... plus the one page the test itself read above


def test_a_ghost_sweep_repairs_the_least_recently_verified(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=12, variants=1)
    extra = """
        ghost_batch = 3
        ghost_interval = "1h"
        """
    config = write_config(tmp_path, box, page_size=20, extra=extra)
    run_ok(config)
    oldest = ["4", "7", "9"]
    for pid in oldest:
        change(
            config,
            "UPDATE item_state SET last_verified_at = 1 WHERE entity = 'product' AND source_id = ?",
            (pid,),
        )
    change(config, "UPDATE connection_state SET last_ghost_at = 0")  # the sweep is due
    drift_titles(box, [*oldest, "2"])
    sku = api(box.erp.url, "GET", "/api/products/7")["variants"][0]["sku"]
    on_shop(box, lambda shop: shop.set_stock([level({"sku": sku, "location": "north"}, 555)]))
    api(box.erp.url, "POST", "/admin/reset-stats")
    before = writes(box)
    started = state(config, "SELECT max(written_at) FROM item_state")[0][0]
    run_ok(config)
    after = writes(box)
    assert (after[0] - before[0], after[1] - before[1]) == (3, 1)
    erp_calls = calls(box.erp.url)
    assert erp_calls["GET /api/products/{id}"] == 3 and erp_calls["GET /api/stock/by-sku"] == 1
    held = shop_products(box, [*oldest, "2"])
    assert held["2"].title == "Edited on the shop", "only the three oldest were swept"
    assert all(held[pid].title != "Edited on the shop" for pid in oldest)
    verified = dict(state(config, "SELECT source_id, last_verified_at FROM item_state"))
    assert all(verified[pid] > started for pid in oldest)


def test_a_manual_item_sync_costs_two_source_calls(sandbox_factory: Any, tmp_path: Path) -> None:
    box = sandbox_factory(products=10, variants=1)
    config = write_config(tmp_path, box)
    run_ok(config)
    # A change the pulls cannot see (stamped long ago), as when a change was missed.
    api(
        box.erp.url,
        "PATCH",
        "/admin/products/6",
        {"title": "Fixed by hand", "modified_at": "2020-01-01T00:00:00Z"},
    )
    before = writes(box)
    api(box.erp.url, "POST", "/admin/reset-stats")
    operator(config, lambda actor: actor.sync_item("products", "6"))
    erp_calls = calls(box.erp.url)
    assert erp_calls["GET /api/products/{id}"] == 1 and erp_calls["GET /api/stock/by-sku"] == 1
    assert writes(box)[0] - before[0] == 1
    assert shop_products(box, ["6"])["6"].title == "Fixed by hand"
    assert state(config, "SELECT class, state FROM jobs WHERE kind = 'sync_item'") == [(1, "done")]


def test_smart_sync_now_pulls_at_class_one(sandbox_factory: Any, tmp_path: Path) -> None:
    box = sandbox_factory(products=10, variants=1)
    config = write_config(tmp_path, box)
    run_ok(config)
    (last_job,) = state(config, "SELECT max(id) FROM jobs")[0]
    api(box.erp.url, "PATCH", "/admin/products/3", {"title": "Now, please"})
    operator(config, lambda actor: actor.sync_now())
    pulls = state(
        config,
        "SELECT json_extract(payload, '$.flow'), min(class) FROM jobs WHERE kind = 'pull'"
        " AND id > ? GROUP BY 1 ORDER BY 1",
        (last_job,),
    )
    assert pulls == [("products", 1), ("stock", 1)]
    assert shop_products(box, ["3"])["3"].title == "Now, please"


def _create_without_sku(box: Sandbox, title: str) -> dict[str, Any]:
    body = {"title": title, "variants": [{"sku": None, "price": "9.99"}]}
    created: dict[str, Any] = api(box.erp.url, "POST", "/admin/products", body)
    return created


def test_sync_log_full_clears_old_errors_and_partial_resolves_fixed_ones(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=6, variants=1)
    config = write_config(tmp_path, box)
    run_ok(config)
    bad = _create_without_sku(box, "No SKU yet")
    pid = str(bad["id"])
    change(
        config,
        "INSERT INTO sync_errors VALUES ('demo', 'products', 'stale', 'an old problem', 1, 1)",
    )
    run_ok(config)
    logged = dict(state(config, "SELECT external_id, message FROM sync_errors"))
    assert set(logged) == {"stale", pid}, "a partial sync keeps old errors and adds new ones"
    assert "has no SKU" in logged[pid]

    operator(config, lambda actor: actor.start_full_sync())
    [(started, finished)] = state(
        config, "SELECT started_at, finished_at FROM full_runs WHERE reason = 'operator'"
    )
    rows = state(config, "SELECT external_id, first_seen FROM sync_errors")
    assert [r[0] for r in rows] == [pid], "the full sync cleared the old errors first"
    assert rows[0][1] >= started, "and recorded what it found itself"
    assert last_full(config) == finished

    variant = bad["variants"][0]["id"]
    api(
        box.erp.url,
        "PATCH",
        f"/admin/products/{pid}",
        {"variants": [{"id": variant, "sku": "FIXED-1"}]},
    )
    run_ok(config)
    assert state(config, "SELECT * FROM sync_errors") == [], "the item synced: error resolved"
    assert shop_products(box, [pid])[pid].variants[0].sku == "FIXED-1"


def test_a_refused_item_is_not_offered_again_until_it_changes(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=4, variants=1)
    config = write_config(tmp_path, box)
    run_ok(config)
    pid = str(_create_without_sku(box, "Refused")["id"])
    run_ok(config)
    assert [r[0] for r in state(config, "SELECT external_id FROM sync_errors")] == [pid]
    api(box.shop.url, "POST", "/admin/reset-stats")
    run_ok(config)  # the overlap reads the refused item again, unchanged
    assert calls(box.shop.url).get("PUT /api/products/batch", 0) == 0
    assert [r[0] for r in state(config, "SELECT external_id FROM sync_errors")] == [pid]
    api(box.erp.url, "PATCH", f"/admin/products/{pid}", {"title": "Refused, edited"})
    run_ok(config)
    assert calls(box.shop.url).get("PUT /api/products/batch", 0) == 1, "changed: tried again"


def forget(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return syncwright("forget", *extra, "--config", str(config), env=daemon_env())


def test_forget_deletes_a_removed_connections_state(sandbox_factory: Any, tmp_path: Path) -> None:
    box = sandbox_factory(products=5, variants=1)
    config = write_config(tmp_path, box)
    run_ok(config)
    change(config, "INSERT INTO sync_errors VALUES ('demo', 'products', 'x', 'broken', 1, 1)")
    tables = ["jobs", "cursors", "links", "item_state", "stock_state", "full_runs", "sync_errors"]

    def count(table: str) -> int:
        return int(state(config, f"SELECT count(*) FROM {table} WHERE connection = 'demo'")[0][0])

    assert all(count(t) for t in tables)
    refused = forget(config, "demo")
    assert refused.returncode == 2 and "still in" in refused.stderr
    assert all(count(t) for t in tables)

    config = write_config(tmp_path, box, connection="other")
    result = forget(config, "demo")
    assert result.returncode == 0, result.stderr
    assert [t for t in tables if count(t)] == []
    assert state(config, "SELECT count(*) FROM connection_state WHERE connection = 'demo'") == [
        (0,)
    ]
    assert state(config, "SELECT count(*) FROM budget_usage")[0][0] > 0, "budgets are kept"
