"""Deletions that show only as absence (issue 13 item 3), through the daemon as a process: a
product the source removes without a marker is discontinued on the channel by the periodic id
listing, and ``check-config`` and ``status`` state the worst case to notice such a deletion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import syncwright
from helpers import API_KEY, Sandbox, daemon_env, run_ok, state, write_config

pytestmark = pytest.mark.slow

HEADERS = {"Authorization": f"Bearer {API_KEY}"}


def api(url: str, method: str, path: str) -> Any:
    response = httpx.request(method, f"{url}{path}", headers=HEADERS, timeout=10)
    response.raise_for_status()
    return response.json()


def shop_status(box: Sandbox, pid: str) -> str:
    [item] = api(box.shop.url, "GET", f"/api/products?external_ids={pid}")["items"]
    return str(item["status"])


def with_schedule(config: Path, lines: str) -> Path:
    text = config.read_text().replace('recent = "1h"', f'recent = "1h"\n{lines}')
    config.write_text(text)
    return config


def test_a_product_removed_without_a_marker_is_discontinued_by_the_id_listing(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=6, variants=1)
    config = with_schedule(write_config(tmp_path, box), 'deletions = "1h"')
    run_ok(config)
    assert shop_status(box, "4") == "live"
    # The first look only starts the timer; an hour later the check is due.
    timer = "SELECT value FROM cursors WHERE connection = 'demo' AND flow = 'products:deletions'"
    [(started,)] = state(config, timer)
    state(
        config,
        "UPDATE cursors SET value = ? WHERE flow = 'products:deletions'",
        (repr(float(started) - 3601),),
    )
    api(box.erp.url, "DELETE", "/admin/products/4?purge=1")  # gone: no change, no marker
    changes = api(box.erp.url, "GET", "/api/products/changes?limit=1000")["items"]
    assert 4 not in [item["id"] for item in changes]

    log = run_ok(config)
    assert shop_status(box, "4") == "discontinued"
    assert all(shop_status(box, pid) == "live" for pid in ("1", "2", "3", "5", "6"))
    assert "deletions.queued" in log
    assert state(config, "SELECT state FROM jobs WHERE kind = 'deletions'") == [("done",)]
    [(again,)] = state(config, timer)
    assert float(again) > float(started)

    # The next check skips what it found gone: no second fetch of product 4.
    fetches = api(box.erp.url, "GET", "/admin/stats")["calls"]["GET /api/products/{id}"]
    state(
        config,
        "UPDATE cursors SET value = ? WHERE flow = 'products:deletions'",
        (repr(float(again) - 3601),),
    )
    run_ok(config)
    assert state(config, "SELECT state FROM jobs WHERE kind = 'deletions'") == [("done",)] * 2
    assert api(box.erp.url, "GET", "/admin/stats")["calls"]["GET /api/products/{id}"] == fetches
    assert shop_status(box, "4") == "discontinued"


def test_check_config_and_status_state_the_worst_case_per_connection(
    daemon_factory: Any, tmp_path: Path
) -> None:
    d = daemon_factory(products=3)
    checked = syncwright("check-config", str(d.config), env=daemon_env())
    assert checked.returncode == 0, checked.stderr
    assert "demo: within 1h (id listing every 1h) plus one listing" in checked.stdout

    status = syncwright("status", "--socket", str(d.socket))
    assert status.returncode == 0, status.stderr
    assert "demo: deletions by absence noticed within 1h (id listing every 1h)" in status.stdout
    snap = json.loads(syncwright("status", "--json", "--socket", str(d.socket)).stdout)
    assert snap["connections"][0]["deletion_bound"] == 3600


def test_the_bound_is_the_soonest_way_that_applies() -> None:
    from syncwright.daemon.flows.deletions import deletion_bound

    common: dict[str, Any] = {"flows": ("products",), "recent": 30.0, "deletions": 3600.0}
    assert deletion_bound(**common, audit=False, lists_ids=True, full=None) == (
        3600.0,
        "id listing every 1h",
    )
    # No id listing: the full listing at the full sync's pace, unless a ghost rotation is sooner.
    weekly = deletion_bound(**common, audit=False, lists_ids=False, full=7 * 86400.0)
    assert weekly == (7 * 86400.0, "full listing (source cannot list ids) every 7d")
    swept = deletion_bound(
        **common, audit=False, lists_ids=False, full=7 * 86400.0, links=20, ghost_batch=10
    )
    assert swept == (7200.0, "ghost rotation of 20 links")
    assert deletion_bound(**common, audit=True, lists_ids=True, full=None)[0] == 30.0
    assert deletion_bound(**common, audit=False, lists_ids=False, full=None)[0] is None
    assert deletion_bound(
        **{**common, "flows": ("orders",)}, audit=False, lists_ids=True, full=None
    ) == (None, "no products flow")
