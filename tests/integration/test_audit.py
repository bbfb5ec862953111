"""Audit-mode pulls against the sandbox: whole listings diffed by hash, only changes forwarded,
deletions inferred only from a listing that completed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from helpers import (
    API_KEY,
    Sandbox,
    api,
    assert_converged,
    run_ok,
    snapshot,
    state,
    write_config,
)

from syncwright.connectors.base import ListQuery, Page
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.sandbox.clients.erp import SandboxErp
from syncwright.daemon.config.load import load_config
from syncwright.daemon.supervisor import Supervisor

pytestmark = pytest.mark.slow


def audit_config(tmp_path: Path, box: Sandbox) -> Path:
    config = write_config(tmp_path, box, page_size=5)
    text = config.read_text().replace(
        "[connections.demo.schedule]", 'pull_mode = "audit"\n[connections.demo.schedule]'
    )
    config.write_text(text)
    return config


def shop_status(box: Sandbox, pid: str) -> str:
    body = api(box.shop.url, "GET", f"/api/products?external_ids={pid}")
    [item] = body["items"]
    return str(item["status"])


def test_audit_mode_forwards_changes_and_discontinues_what_was_deleted(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=12, variants=1)
    config = audit_config(tmp_path, box)
    run_ok(config)
    assert_converged(box)
    assert state(config, "SELECT entity, count(*), max(seen_pass) FROM audit GROUP BY 1") == [
        ("products", 12, 1),
        ("stock", 24, 1),
    ]
    api(box.erp.url, "PATCH", "/admin/products/3", {"title": "Changed for the audit"})
    api(box.erp.url, "DELETE", "/admin/products/8")
    api(box.erp.url, "POST", "/admin/reset-stats")
    api(box.shop.url, "POST", "/admin/reset-stats")
    run_ok(config)
    erp_calls = api(box.erp.url, "GET", "/admin/stats")["calls"]
    assert erp_calls.get("GET /api/products/changes", 0) == 0, "no change feed in audit mode"
    assert erp_calls["GET /api/products"] == 3  # 11 products, 5 a page
    shop = api(box.shop.url, "GET", "/admin/stats")
    assert shop["product_writes"] == 2, "the changed one and the deleted one, nothing else"
    assert shop["stock_writes"] == 0
    assert shop_status(box, "8") == "discontinued"
    assert api(box.shop.url, "GET", "/api/products?external_ids=3")["items"][0]["title"] == (
        "Changed for the audit"
    )
    assert state(config, "SELECT count(*) FROM audit WHERE external_id = '8'") == [(0,)]
    assert state(config, "SELECT value, pass_after FROM cursors WHERE flow = 'products:audit'") == [
        ("2", None)
    ]


def test_an_audit_pass_that_fails_midway_infers_no_deletion(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = sandbox_factory(products=12, variants=1)
    config = audit_config(tmp_path, box)
    run_ok(config)
    api(box.erp.url, "DELETE", "/admin/products/2")

    original = SandboxErp.list_products

    async def broken(self: SandboxErp, query: ListQuery) -> Page[Any]:
        if query.after is not None:
            raise PermanentError("page 2 of the listing cannot be read", system=self.name)
        return await original(self, query)

    monkeypatch.setattr(SandboxErp, "list_products", broken)
    monkeypatch.setenv("SYNCWRIGHT_TEST_KEY", API_KEY)

    async def main() -> None:
        with anyio.fail_after(60):
            await Supervisor(load_config(config), config, burst=True).run()

    anyio.run(main)
    assert state(config, "SELECT state FROM jobs WHERE kind = 'pull' AND state = 'dead'") == [
        ("dead",)
    ]
    assert shop_status(box, "2") == "live", "an incomplete listing proves no deletion"
    assert state(config, "SELECT gone_pass FROM audit WHERE external_id = '2'") == [(None,)]

    monkeypatch.setattr(SandboxErp, "list_products", original)
    run_ok(config)  # the pass resumes where it stopped and completes
    assert shop_status(box, "2") == "discontinued"
    snap = snapshot(box)
    assert snap["shop_stock"] == snap["erp_stock"]
