"""``syncwright item``: one product's sync health from a running daemon, by id or SKU."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from harness import syncwright
from helpers import state

pytestmark = pytest.mark.slow


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return syncwright(*args, timeout=90)


def test_item_shows_ids_writes_stock_errors_and_jobs(daemon_factory: Any) -> None:
    d = daemon_factory()
    d.wait_for_event("full.finished")  # the first pass settles the sync log before we add to it
    sock = ["--socket", str(d.socket)]
    synced = cli("sync", "demo", "products", "3", "--wait", "30", *sock)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    ((sku,),) = state(
        d.config,
        "SELECT source_id FROM links WHERE entity = 'variant' AND channel_id LIKE"
        " (SELECT channel_id FROM links WHERE entity = 'product' AND source_id = '3') || ':%'",
    )
    state(
        d.config,
        "INSERT INTO sync_errors VALUES ('demo', 'stock', ?, 'unknown stock location annex', 1, 2)",
        (sku,),
    )
    for query in ("3", sku):  # by the back-office id, or by one of its SKUs
        health = json.loads(cli("item", "demo", query, "--json", *sock).stdout)
        assert health["format"] == 1 and health["found"] is True
        assert health["product"]["source_id"] == "3"
        assert [v["sku"] for v in health["variants"]] == [sku]
        assert health["state"]["written_at"] and health["state"]["hash"]
        assert {s["sku"] for s in health["stock"]} == {sku}
        assert all(s["quantity"] is not None for s in health["stock"])
        assert health["errors"][0]["message"] == "unknown stock location annex"
        assert any(j["kind"] == "sync_item" and j["state"] == "done" for j in health["jobs"])
    text = cli("item", "demo", sku, *sock)
    assert text.returncode == 0, text.stderr
    assert "product 3 (back office) <->" in text.stdout and "last written" in text.stdout
    assert "unknown stock location annex" in text.stdout and "sync_item" in text.stdout
    unknown = cli("item", "demo", "NO-SUCH", *sock)
    assert unknown.returncode == 5 and "knows nothing of 'NO-SUCH'" in unknown.stderr


def test_item_says_when_it_was_last_seen_at_the_source_even_unchanged(
    daemon_factory: Any,
) -> None:
    d = daemon_factory()
    d.wait_for_event("full.finished")
    sock = ["--socket", str(d.socket)]
    assert cli("sync", "demo", "products", "3", "--wait", "30", *sock).returncode == 0
    first = json.loads(cli("item", "demo", "3", "--json", *sock).stdout)["state"]
    assert first["seen_at"] is not None and first["seen_token"] == first["token"]
    # Synced again unchanged: nothing is written, but it was read at the source just now.
    assert cli("sync", "demo", "products", "3", "--wait", "30", *sock).returncode == 0
    again = json.loads(cli("item", "demo", "3", "--json", *sock).stdout)["state"]
    assert again["written_at"] == first["written_at"]
    assert again["seen_at"] > first["seen_at"]
    text = cli("item", "demo", "3", *sock).stdout
    assert "last seen at the source" in text and f"change token {again['seen_token']}" in text
