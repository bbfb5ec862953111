"""The daemon as a real process on a real state file, syncing sandbox ERP to sandbox shop."""

from __future__ import annotations

import contextlib
import json
import signal
from pathlib import Path

import httpx
import pytest
from harness import wait_until
from helpers import (
    API_KEY,
    Sandbox,
    assert_converged,
    sandbox_daemon,
    snapshot,
    state,
    write_config,
)

pytestmark = pytest.mark.slow


def shop_stats(box: Sandbox) -> dict[str, object]:
    response = httpx.get(
        f"{box.shop.url}/admin/stats", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10
    )
    response.raise_for_status()
    data: dict[str, object] = response.json()
    return data


def erp_admin(box: Sandbox, method: str, path: str, body: object) -> object:
    response = httpx.request(
        method,
        f"{box.erp.url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def test_until_idle_makes_the_shop_equal_the_erp(sandbox_factory, tmp_path: Path) -> None:
    box = sandbox_factory(products=150, variants=2)
    config = write_config(tmp_path, box, page_size=40)
    result = sandbox_daemon(config).run("--until-idle")
    assert result.returncode == 0, result.stderr[-3000:]
    snap = assert_converged(box)
    assert len(snap["erp_products"]) == 150
    assert len(snap["erp_stock"]) == 150 * 2 * 2
    # Every job finished; nothing pending, leased or dead.
    assert state(config, "SELECT state, count(*) FROM jobs WHERE state != 'done' GROUP BY 1") == []
    # A page per job: 150 products at 40 a page is 4 pages (the last one short).
    assert state(
        config,
        "SELECT count(*) FROM jobs WHERE kind = 'pull'"
        " AND json_extract(payload, '$.flow') = 'products'",
    ) == [(4,)]
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    names = [e["event"] for e in events]
    assert "daemon.ready" in names and names[-1] == "daemon.stopped"
    assert API_KEY not in result.stderr


def test_second_run_writes_nothing_when_nothing_changed(sandbox_factory, tmp_path: Path) -> None:
    box = sandbox_factory(products=60, variants=1)
    config = write_config(tmp_path, box, page_size=25)
    assert sandbox_daemon(config).run("--until-idle").returncode == 0
    before = shop_stats(box)
    result = sandbox_daemon(config).run("--until-idle")
    assert result.returncode == 0, result.stderr[-3000:]
    after = shop_stats(box)
    # The overlap window re-reads recent items, but unchanged ones cost no writes.
    assert after["product_writes"] == before["product_writes"]
    assert after["stock_writes"] == before["stock_writes"]


def test_changes_made_while_the_daemon_was_down_arrive(sandbox_factory, tmp_path: Path) -> None:
    box = sandbox_factory(products=80, variants=1)
    config = write_config(tmp_path, box, page_size=30)
    assert sandbox_daemon(config).run("--until-idle").returncode == 0
    erp_admin(box, "PATCH", "/admin/products/7", {"title": "Changed while down"})
    listing = httpx.get(
        f"{box.erp.url}/api/stock",
        params={"limit": 3},
        headers={"Authorization": f"Bearer {API_KEY}"},
    ).json()["items"]
    level = listing[0]
    erp_admin(
        box,
        "PUT",
        "/admin/stock",
        {"sku": level["sku"], "location": level["location"], "quantity": 4242},
    )
    before = shop_stats(box)
    result = sandbox_daemon(config).run("--until-idle")
    assert result.returncode == 0, result.stderr[-3000:]
    assert_converged(box)
    after = shop_stats(box)
    assert after["product_writes"] - before["product_writes"] == 1
    assert after["stock_writes"] - before["stock_writes"] == 1


def test_sigkill_mid_run_then_restart_loses_and_duplicates_nothing(
    sandbox_factory, tmp_path: Path
) -> None:
    box = sandbox_factory(products=1500, variants=2)
    config = write_config(tmp_path, box, page_size=20, workers=3)
    with sandbox_daemon(config).start() as proc:

        def written_300() -> bool:
            written = shop_stats(box)["product_writes"]
            assert isinstance(written, int)
            return written >= 300

        wait_until(
            written_300,
            timeout=60,
            interval=0.05,
            message="the daemon wrote fewer than 300 products in 60 s",
        )
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    partial = snapshot(box)
    assert len(partial["shop_products"]) < len(partial["erp_products"]), "killed too late"
    result = sandbox_daemon(config).run("--until-idle", timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    snap = assert_converged(box)
    assert len(snap["shop_products"]) == 1500
    assert state(config, "SELECT state, count(*) FROM jobs WHERE state != 'done' GROUP BY 1") == []
    # The shop holds each product once (upserts keyed by the ERP's id; no duplicates).
    listing = httpx.get(
        f"{box.shop.url}/api/products",
        params={"limit": 1000},
        headers={"Authorization": f"Bearer {API_KEY}"},
    ).json()
    count = len(listing["items"])
    while listing.get("next"):
        listing = httpx.get(
            f"{box.shop.url}/api/products",
            params={"limit": 1000, "after_id": listing["next"]["after_id"]},
            headers={"Authorization": f"Bearer {API_KEY}"},
        ).json()
        count += len(listing["items"])
    assert count == 1500


def test_sigterm_stops_gracefully_with_no_job_left_leased(sandbox_factory, tmp_path: Path) -> None:
    box = sandbox_factory(products=600, variants=1)
    config = write_config(tmp_path, box, page_size=10)
    with sandbox_daemon(config).start() as proc:
        # Stop it mid-sync if it gets that far within 30 s (and stop it anyway if not).
        with contextlib.suppress(AssertionError):
            wait_until(lambda: shop_stats(box)["product_writes"] != 0, timeout=30, interval=0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    assert state(config, "SELECT count(*) FROM jobs WHERE state = 'leased'") == [(0,)]
    stderr = proc.log()
    assert '"daemon.stopping"' in stderr and '"daemon.stopped"' in stderr
