"""``syncwright plan``: a dry run against a running daemon and the sandbox. It names what a sync
would write, charges exactly the calls it made, and writes nothing anywhere."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from control_helpers import RunningDaemon, control_section, wait_for_socket
from harness import state_db, syncwright, wait_until
from helpers import api, snapshot, state, write_config

pytestmark = pytest.mark.slow

#: Tables a plan may change: its reads are charged to the daemon's budgets.
BUDGET_TABLES = {"budget_usage", "budget_state", "budget_history"}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return syncwright(*args, timeout=90)


def tables(config: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the state file but the budgets', sorted rows."""
    conn = sqlite3.connect(state_db(config))
    try:
        names = [
            n
            for (n,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            if n not in BUDGET_TABLES
        ]
        return {n: sorted(map(tuple, conn.execute(f"SELECT * FROM {n}")), key=repr) for n in names}
    finally:
        conn.close()


def calls(server: Any) -> int:
    stats: dict[str, Any] = api(server, "GET", "/admin/stats")
    return int(stats["total_calls"])


def quiet(config: Path) -> bool:
    """No job running and none due (the next scheduled pulls are an hour away)."""
    rows = state(
        config,
        "SELECT count(*) FROM jobs WHERE state = 'leased' OR (state = 'pending' AND run_at <= ?)",
        (time.time(),),
    )
    return rows[0][0] == 0


def test_plan_names_the_writes_charges_its_reads_and_changes_nothing(daemon_factory: Any) -> None:
    d = daemon_factory(products=12)
    box, sock = d.box, ["--socket", str(d.socket)]
    wait_until(
        lambda: (
            state(d.config, "SELECT count(*) FROM links WHERE entity = 'product'")[0][0] == 12
            and quiet(d.config)
        ),
        timeout=90,
        message="the first pass did not finish",
    )
    assert cli("pause", "demo", *sock).returncode == 0
    wait_until(lambda: quiet(d.config), timeout=30)

    edited = api(box.erp, "PATCH", "/admin/products/3", {"title": "Planned title"})
    sku = edited["variants"][0]["sku"]
    api(box.erp, "PUT", "/admin/stock", {"sku": sku, "location": "central", "quantity": 4321})
    new = api(
        box.erp,
        "POST",
        "/admin/products",
        {"title": "Brand new", "variants": [{"sku": "NEW-1", "price": "5.00"}]},
    )
    api(box.erp, "PUT", "/admin/stock", {"sku": "NEW-1", "location": "central", "quantity": 5})
    before_tables, before_remote = tables(d.config), snapshot(box)
    erp_calls, shop_calls = calls(box.erp), calls(box.shop)
    shop_writes = api(box.shop, "GET", "/admin/stats")

    result = cli("plan", "demo", "--json", *sock)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["version"] == 1
    flows = {f["flow"]: f for f in plan["flows"]}
    products, stock = flows["products"], flows["stock"]
    assert products["complete"] and stock["complete"]
    assert [c["item"] for c in products["creates"]] == [str(new["id"])]
    assert products["updates"] == [{"item": "3", "fields": ["title"]}]
    pushes = {(s["sku"], s["location"]): (s["from"], s["to"]) for s in stock["stock"]}
    assert pushes[(sku, "central")][1] == 4321
    assert pushes[(sku, "central")][0] not in (None, 4321)
    # The new product's levels wait for it to reach the shop, as a real pull would park them.
    assert stock["parked"] >= 1
    # The calls it reports are the calls each sandbox received, and it would write in 2 to 3
    # requests to the shop (one products upsert, one stock batch).
    assert plan["calls_read"] == {
        "erp": calls(box.erp) - erp_calls,
        "shop": calls(box.shop) - shop_calls,
    }
    assert plan["calls_read"]["erp"] >= 2 and plan["calls_read"]["shop"] >= 1
    assert plan["calls_write"] == {"erp": 0, "shop": 2}

    # Nothing written: the state file (but for the budgets' spend) and both systems as before.
    assert tables(d.config) == before_tables
    assert snapshot(box) == before_remote
    after = api(box.shop, "GET", "/admin/stats")
    for key in ("product_writes", "stock_writes"):
        assert after[key] == shop_writes[key], key

    text = cli("plan", "demo", "products", *sock)
    assert text.returncode == 0, text.stderr
    assert "update 3: title" in text.stdout
    assert f"create {new['id']} 'Brand new'" in text.stdout
    assert "nothing was written" in text.stdout

    # The sync then does what the plan said.
    assert cli("resume", "demo", *sock).returncode == 0
    assert cli("smart-sync", "demo", *sock).returncode == 0
    wait_until(
        lambda: (
            state(
                d.config,
                "SELECT quantity FROM stock_state WHERE sku = ? AND location = 'central'",
                (sku,),
            )
            == [(4321,)]
        ),
        timeout=60,
    )


def test_plan_refuses_an_unknown_flow(daemon_factory: Any) -> None:
    d = daemon_factory(products=3)
    result = cli("plan", "demo", "orders", "--socket", str(d.socket))
    assert result.returncode == 5
    assert "does not pull orders" in result.stderr


def test_plan_names_customer_creates_links_and_orders_to_post(
    sandbox_factory: Any, tmp_path: Path, sock_dir: Path
) -> None:
    box = sandbox_factory(products=2, variants=1, customers=2)
    sock = sock_dir / "control.sock"
    path = write_config(tmp_path, box, extra=control_section(sock))
    flows = 'flows = ["products", "stock", "customers", "orders"]'
    path.write_text(path.read_text().replace('flows = ["products", "stock"]', flows))
    d = RunningDaemon(path, sock, box)
    try:
        wait_for_socket(sock, d)
        wait_until(
            lambda: (
                state(path, "SELECT count(*) FROM cursors WHERE flow NOT LIKE '%:%'")[0][0] == 4
                and quiet(path)
            ),
            timeout=90,
            message=lambda: (
                "the first pass did not finish: "
                + repr(state(path, "SELECT flow, value FROM cursors"))
                + repr(
                    state(
                        path,
                        "SELECT id, kind, state, run_at, last_error FROM jobs"
                        " WHERE state IN ('leased', 'pending')",
                    )
                )
            ),
        )
        assert cli("pause", "demo", "--socket", str(sock)).returncode == 0
        wait_until(lambda: quiet(path), timeout=30)
        person = {"first_name": "Plan", "last_name": "Ned"}
        fresh = api(box.erp, "POST", "/api/customers", {"email": "fresh@example.com", **person})
        known = api(box.erp, "POST", "/api/customers", {"email": "known@example.com", **person})
        shop_side = api(
            box.shop, "POST", "/api/customers", {"email": "known@example.com", **person}
        )
        sku = api(box.erp, "GET", "/api/products", limit=1)["items"][0]["variants"][0]["sku"]
        body = {
            "customer": {"email": "buyer@example.com", "first_name": "Ada", "last_name": "B"},
            "lines": [{"sku": sku, "quantity": 1, "unit_price": "9.90", "title": "x"}],
        }
        order = api(box.shop, "POST", "/admin/orders", body)["id"]
        before = tables(path)
        created = api(box.shop, "GET", "/admin/stats")["customers_created"]

        result = cli("plan", "demo", "customers", "orders", "--json", "--socket", str(sock))
        assert result.returncode == 0, result.stderr
        got = {f["flow"]: f for f in json.loads(result.stdout)["flows"]}
        assert got["customers"]["customers_created"] == [str(fresh["id"])]
        assert got["customers"]["customers_linked"] == [
            {"item": str(known["id"]), "channel_id": str(shop_side["id"])}
        ]
        assert got["orders"]["orders_post"] == [str(order)]
        assert tables(path) == before
        assert api(box.shop, "GET", "/admin/stats")["customers_created"] == created
        assert state(path, "SELECT count(*) FROM jobs WHERE kind = 'post_order'") == [(0,)]
    finally:
        d.stop()
