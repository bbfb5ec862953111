"""Orders first under a tight back-office budget, through the daemon as a real process on a
real state file: when class ``recent``'s share of the back office's calendar day is spent,
shop orders are still pulled and posted (pulling new orders is sale-time work), and while the
back office is blocked outright they are still pulled (the pull calls the shop alone), ready
to post the moment the back office may be called again."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from helpers import API_KEY, Sandbox, run_ok, state, write_config

from syncwright.daemon.budget.windows import calendar_period

pytestmark = pytest.mark.slow

HEADERS = {"Authorization": f"Bearer {API_KEY}"}
DAY_KEY = "day:calendar:Europe/Berlin"


def call(url: str, method: str = "GET", body: object = None, **params: object) -> Any:
    response = httpx.request(method, url, json=body, params=params, headers=HEADERS, timeout=10)
    response.raise_for_status()
    return response.json()


def place(box: Sandbox, sku: str) -> str:
    body = {
        "customer": {"email": "ada@example.com", "first_name": "Ada", "last_name": "Buyer"},
        "lines": [{"sku": sku, "quantity": 1, "unit_price": "9.90", "title": sku}],
    }
    order_id: str = call(f"{box.shop.url}/admin/orders", "POST", body)["id"]
    return order_id


def posted_refs(box: Sandbox) -> list[str]:
    return [o["channel_ref"] for o in call(f"{box.erp.url}/api/orders", limit=1000)["items"]]


def set_state(config: Path, sql: str, params: tuple[object, ...]) -> None:
    with sqlite3.connect(config.parent / "state" / "state.db") as conn:
        conn.execute(sql, params)


def test_shop_orders_go_through_when_the_back_offices_share_for_changes_is_spent(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=3, variants=1, customers=2)
    config = write_config(tmp_path, box)
    text = config.read_text().replace('flows = ["products", "stock"]', 'flows = ["orders"]')
    config.write_text(text.replace("limit = 10000000", "limit = 100"))
    run_ok(config)  # the state file, nothing to do yet
    sku = call(f"{box.erp.url}/api/products", limit=1)["items"][0]["variants"][0]["sku"]

    # 90 of the day's 100 back-office calls are spent: class "recent" must leave 15, so only
    # sale-time work may call the back office until the day ends.
    day_start = int(calendar_period("day", ZoneInfo("Europe/Berlin"), time.time())[0])
    set_state(
        config,
        'INSERT INTO budget_usage (system, "window", bucket_start, used) VALUES (?, ?, ?, ?)',
        ("erp", DAY_KEY, day_start, 90.0),
    )
    first = place(box, sku)
    run_ok(config)
    assert posted_refs(box) == [f"shop:{first}"], "the order must be pulled and posted"
    (used,) = state(config, "SELECT used FROM budget_usage WHERE system = 'erp'")[0]
    assert 90 < used <= 100

    # The back office is blocked for an hour (a 429): the shop's orders are still pulled and
    # wait, queued at class 0, for the back office; nothing was taken and put back.
    set_state(
        config,
        "INSERT INTO budget_state (system, blocked_until, block_reason, last_headers, updated_at)"
        " VALUES ('erp', ?, 'HTTP 429', '{}', ?) ON CONFLICT (system) DO UPDATE SET"
        " blocked_until = excluded.blocked_until",
        (time.time() + 3600, time.time()),
    )
    second = place(box, sku)
    run_ok(config)
    assert posted_refs(box) == [f"shop:{first}"]
    waiting = state(
        config,
        "SELECT class, attempts FROM jobs WHERE kind = 'post_order' AND state = 'pending'"
        " AND json_extract(payload, '$.order') = ?",
        (second,),
    )
    assert waiting == [(0, 0)]
