"""Customers, store settings and the default price list, daemon process against the sandboxes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from helpers import (
    Sandbox,
    _spec,
    api,
    enqueue,
    run_ok,
    state,
    write_config,
)

from syncwright.connectors.base import OpenGate
from syncwright.connectors.model import Customer
from syncwright.connectors.sandbox.clients.build import build_erp, build_shop
from syncwright.daemon.clock import SystemClock
from syncwright.daemon.flows import customers
from syncwright.daemon.flows.context import FlowContext, FlowSettings
from syncwright.daemon.flows.settings import settings_spec
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.store.db import Store

pytestmark = pytest.mark.slow


def config_for(tmp: Path, box: Sandbox, flows: str) -> Path:
    path = write_config(tmp, box, page_size=50)
    text = path.read_text().replace('flows = ["products", "stock"]', f"flows = {flows}")
    path.write_text(text)
    return path


def shop_customer(box: Sandbox, shop_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api(box.shop, "GET", f"/api/customers/{shop_id}")
    return found


def test_customers_link_create_and_log_what_cannot_be_linked(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=2, variants=1, customers=12)
    # Customer 5 already has a shop account: it is linked, not created, and keeps its data.
    c5 = api(box.erp, "GET", "/api/customers/5")
    mine = {"first_name": "Shop-side", "last_name": "Name"}
    pre = api(box.shop, "POST", "/api/customers", {"email": c5["email"].upper(), **mine})
    # Customer 10 matches one shop account by e-mail and another by accounting id.
    c10 = api(box.erp, "PATCH", "/admin/customers/10", {"accounting_id": "ACC-TEN"})
    by_mail = api(box.shop, "POST", "/api/customers", {"email": c10["email"], **mine})
    by_account = api(
        box.shop,
        "POST",
        "/api/customers",
        {"email": "someone.else@example.com", "accounting_id": c10["accounting_id"], **mine},
    )
    # A B2B child whose change time sorts before its parent's: the parent is created first.
    place = {"line1": "Havenkade 3", "line2": "", "city": "Gent", "postcode": "9000"}
    head = api(
        box.erp,
        "POST",
        "/admin/customers",
        {
            "email": "head@atelier.example",
            "first_name": "Hanna",
            "last_name": "Hoofd",
            "company": "Atelier Noord",
            "accounting_id": "ACC-HEAD",
            "address": {**place, "country": "BE"},
        },
    )
    child = api(
        box.erp,
        "POST",
        "/admin/customers",
        {
            "email": "branch@atelier.example",
            "first_name": "Bram",
            "last_name": "Tak",
            "company": "Atelier Noord",
            "parent_id": head["id"],
            "address": {**place, "country": "BE"},
        },
    )
    api(
        box.erp,
        "PATCH",
        f"/admin/customers/{child['id']}",
        {"modified_at": "2026-01-01T00:00:00Z"},
    )
    for seeded in api(box.erp, "GET", "/api/customers", limit=100)["items"]:
        if seeded["parent_id"] in (1, 2, 3, 10):  # would wait for a refused parent: not here
            api(box.erp, "PATCH", f"/admin/customers/{seeded['id']}", {"parent_id": None})
    api(box.shop, "POST", "/admin/reset-stats")
    config = config_for(tmp_path, box, '["customers"]')
    run_ok(config)

    links = dict(state(config, "SELECT source_id, channel_id FROM links WHERE entity = 'customer'"))
    errors = dict(state(config, "SELECT external_id, message FROM sync_errors"))
    # Customers 1 and 2 share an e-mail: an error on both, neither linked (no guess).
    assert set(errors) == {"1", "2", "3", "10"}
    assert "shares e-mail" in errors["1"] and "customer(s) 2;" in errors["1"]
    assert "shares e-mail" in errors["2"] and "customer(s) 1;" in errors["2"]
    assert "address line 1 is empty" in errors["3"]
    assert by_mail["id"] in errors["10"] and by_account["id"] in errors["10"]
    expected = {str(n) for n in range(1, 13)} - {"1", "2", "3", "10"}
    expected |= {str(head["id"]), str(child["id"])}
    assert set(links) == {str(i) for i in expected}
    assert links["5"] == pre["id"]
    assert shop_customer(box, pre["id"])["first_name"] == "Shop-side"
    assert shop_customer(box, links[str(child["id"])])["parent_id"] == links[str(head["id"])]
    stats = api(box.shop, "GET", "/admin/stats")
    assert stats["customers_created"] == len(links) - 1  # all but customer 5's account

    # A linked customer edited in the back office is never overwritten; a refused one that
    # was fixed is created now; unchanged refused ones cost no calls at all.
    api(box.erp, "PATCH", "/admin/customers/4", {"first_name": "Renamed"})
    fixed = {**api(box.erp, "GET", "/api/customers/3")["address"], "line1": "Kerkstraat 9"}
    api(box.erp, "PATCH", "/admin/customers/3", {"address": fixed})
    verified_before = state(
        config,
        "SELECT last_verified_at FROM item_state WHERE entity = 'customer' AND source_id = '4'",
    )
    shop_4 = shop_customer(box, links["4"])
    api(box.shop, "POST", "/admin/reset-stats")
    run_ok(config)
    stats = api(box.shop, "GET", "/admin/stats")
    assert stats["calls"] == {"GET /api/customers/search": 1, "POST /api/customers": 1}
    assert shop_customer(box, links["4"]) == shop_4
    verified_after = state(
        config,
        "SELECT last_verified_at FROM item_state WHERE entity = 'customer' AND source_id = '4'",
    )
    assert verified_after[0][0] > verified_before[0][0]
    left = set(dict(state(config, "SELECT external_id, message FROM sync_errors")))
    assert left == {"1", "2", "10"}
    assert len(state(config, "SELECT 1 FROM links WHERE entity = 'customer'")) == len(links) + 1


async def _push_directly(box: Sandbox, tmp: Path, batch: list[Customer]) -> list[tuple[Any, ...]]:
    store = await Store.open(tmp / "direct.db")
    erp = build_erp(_spec("erp", "sandbox-erp", box.erp.url), OpenGate())  # type: ignore[arg-type]
    shop = build_shop(_spec("shop", "sandbox-shop", box.shop.url), OpenGate())  # type: ignore[arg-type]
    try:
        async with anyio.create_task_group() as tg:
            await tg.start(store.serve)
            clock = SystemClock()
            ctx = FlowContext("demo", FlowSettings(), erp, shop, store, Queue(store, clock), clock)
            await store.write(customers.record(ctx, await customers.push_customers(ctx, batch)))
            rows = await store.fetchall("SELECT external_id, message FROM sync_errors")
            store.stop_writes()
        return [tuple(row) for row in rows]
    finally:
        await erp.aclose()
        await shop.aclose()
        await store.aclose()


def test_a_customer_without_e_mail_or_account_id_is_a_sync_log_error(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    # The sandbox back office insists on e-mails, so this drives the flow's apply directly.
    box = sandbox_factory(products=1, variants=1)
    batch = [Customer(external_id="77", email=None, first_name="No", last_name="Mail")]
    assert anyio.run(_push_directly, box, tmp_path, batch) == [("77", "customer 77 has no e-mail")]
    assert api(box.shop, "GET", "/admin/stats")["calls"] == {}


def test_settings_are_pushed_on_connect_and_only_when_they_change(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=1, variants=1)
    assert api(box.shop, "GET", "/api/settings")["currency"] == "USD"
    assert api(box.erp, "GET", "/api/settings")["currency"] == "EUR"
    config = config_for(tmp_path, box, '["settings"]')
    run_ok(config)  # the first start queues the connect job by itself
    assert api(box.shop, "GET", "/api/settings")["currency"] == "EUR"
    lists = api(box.shop, "GET", "/api/price-lists")["items"]
    assert [entry["name"] for entry in lists] == ["Sandbox Price"]
    assert state(config, "SELECT source_id FROM links WHERE entity = 'price_list'") == [
        ("Sandbox Price",)
    ]

    def puts() -> int:
        calls: dict[str, int] = api(box.shop, "GET", "/admin/stats")["calls"]
        return calls.get("PUT /api/settings", 0)

    assert puts() == 1
    run_ok(config)  # each round of the scheduler checks the settings
    assert puts() == 1, "unchanged settings were written again"

    api(box.erp, "PUT", "/admin/settings", {"currency": "GBP"})
    run_ok(config)
    assert api(box.shop, "GET", "/api/settings")["currency"] == "GBP"
    assert puts() == 2

    # Drift made on the shop directly is repaired by a verifying sync.
    api(box.shop, "PUT", "/api/settings", {"currency": "USD"})
    enqueue(config, settings_spec(verify=True))
    run_ok(config)
    assert api(box.shop, "GET", "/api/settings")["currency"] == "GBP"
    assert puts() == 4  # the drift we made, and the repair
    assert state(config, "SELECT count(*) FROM jobs WHERE state != 'done'") == [(0,)]


def test_a_price_change_in_the_erp_reaches_the_shops_price_list(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=5, variants=1)
    config = config_for(tmp_path, box, '["products", "stock"]')
    run_ok(config)
    variant = api(box.erp, "GET", "/api/products/3")["variants"][0]
    before = api(box.shop, "GET", "/admin/stats")["product_writes"]
    api(
        box.erp,
        "PATCH",
        "/admin/products/3",
        {"variants": [{"id": variant["id"], "price": "123.45"}]},
    )
    run_ok(config)
    shop = api(box.shop, "GET", "/api/products", external_ids="3")["items"][0]
    assert shop["variants"][0]["price"] == "123.45"
    assert api(box.shop, "GET", "/admin/stats")["product_writes"] == before + 1
    lists = api(box.shop, "GET", "/api/price-lists")["items"]
    assert lists == [{"name": "Sandbox Price", "currency": "USD", "entries": 5}]
