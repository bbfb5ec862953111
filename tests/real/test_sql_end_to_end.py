"""The sql kind end to end: the real daemon reads an ERP database (real PostgreSQL and
MariaDB) and syncs its products and stock to the sandbox shop, and posts a shop order into
the ERP's staging tables exactly once, across a daemon killed right after the insert."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from harness import Daemon
from helpers import SANDBOX_ENV, Sandbox, _spec, api, state, write_config
from sql_erp import Erp, settings_table, spec
from sqlalchemy import text

from syncwright.connectors.base import ListQuery, OpenGate
from syncwright.connectors.sandbox.clients.build import build_shop
from syncwright.connectors.sql.writes import build

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
ENV = {**SANDBOX_ENV, "SYNCWRIGHT_SQL_PASSWORD": "sync-test-pw"}
PRODUCTS = 30  # more than the connection's page of 25


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)  # a JSON string or number is a TOML basic string or number


def sql_config(tmp: Path, box: Sandbox, database: Any) -> Path:
    """The sandbox config with its back office replaced by the ERP database."""
    path = write_config(tmp, box, page_size=25)
    text = path.read_text()
    settings = toml_value(settings_table(page_size=25))
    text = text.replace(
        f'kind = "sandbox-erp"\nurl = "{box.erp.url}"',
        f'kind = "sql"\nurl = "{database.url}"\nsettings = {settings}',
        1,
    )
    text = text.replace(
        'credentials = { api_key = { env = "SYNCWRIGHT_TEST_KEY" } }',
        'credentials = { password = { env = "SYNCWRIGHT_SQL_PASSWORD" } }',
        1,
    )
    text = text.replace('flows = ["products", "stock"]', 'flows = ["products", "stock", "orders"]')
    assert 'kind = "sql"' in text and "SYNCWRIGHT_SQL_PASSWORD" in text, text
    path.write_text(text)
    return path


async def converged(database: Any, box: Sandbox) -> None:
    """Every product of the ERP is in the shop with the same content, and its stock."""
    source = build(spec(database, page_size=25), OpenGate())
    shop = build_shop(_spec("shop", "sandbox-shop", box.shop.url), OpenGate())  # type: ignore[arg-type]
    try:
        page = await source.list_products(ListQuery(None, 1000))
        products = {p.external_id: p.content_hash() for p in page.items}
        held = await shop.read_products(list(products))
        assert {k: p.content_hash() for k, p in held.items()} == products
        skus = sorted(v.sku for p in page.items for v in p.variants if v.sku)
        erp_stock = {(s.sku, s.quantity) for s in await source.get_stock(skus)}
        shop_stock = {(s.sku, s.quantity) for s in await shop.read_stock(skus)}
        assert shop_stock == erp_stock
    finally:
        await source.aclose()
        await shop.aclose()


def test_an_erp_database_syncs_to_the_shop_and_takes_an_order_once(
    database: Any, sandbox_factory: Any, tmp_path: Path
) -> None:
    async def prepare() -> list[Any]:
        erp = Erp(database)
        await erp.create()
        seeded = await erp.seed(PRODUCTS)
        await erp.aclose()
        return seeded

    seeded = anyio.run(prepare)
    box = sandbox_factory(products=1, variants=1)
    config = sql_config(tmp_path, box, database)
    daemon = Daemon(config, ENV)
    daemon.run_ok()
    anyio.run(converged, database, box)

    sku = next(iter(seeded[3].prices))
    buyer = {"email": "sql.buyer@example.com", "first_name": "Sql", "last_name": "Buyer"}
    line = {"sku": sku, "quantity": 2, "unit_price": "12.50", "title": "Thing"}
    order = api(box.shop, "POST", "/admin/orders", {"customer": buyer, "lines": [line]})["id"]
    crashed = daemon.run("--until-idle", env={"SYNCWRIGHT_TEST_CRASH_AFTER": "order_created"})
    assert crashed.returncode != 0, "the daemon was to die right after the order's insert"
    daemon.run_ok()
    daemon.run_ok()

    async def orders() -> list[tuple[Any, ...]]:
        erp = Erp(database)
        try:
            async with erp.engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT o.channel_ref, l.sku, l.quantity FROM sync_order o"
                        " JOIN sync_order_line l ON l.order_id = o.id"
                    )
                )
                return [tuple(r) for r in rows]
        finally:
            await erp.aclose()

    assert anyio.run(orders) == [(f"shop:{order}", sku, 2)]

    # A product deleted from the ERP's table (not marked) is noticed by the id listing.
    gone = seeded[5].product_id

    async def delete() -> None:
        erp = Erp(database)
        await erp.run("DELETE FROM item_variant WHERE item_id = :i", i=int(gone))
        await erp.run("DELETE FROM item WHERE id = :i", i=int(gone))
        await erp.aclose()

    anyio.run(delete)
    # The check is due an hour after the first look: move its timer back an hour.
    timer = "SELECT value FROM cursors WHERE connection = 'demo' AND flow = 'products:deletions'"
    [(started,)] = state(config, timer)
    moved = (repr(float(started) - 3601),)
    state(config, "UPDATE cursors SET value = ? WHERE flow = 'products:deletions'", moved)
    daemon.run_ok()

    async def shop_status() -> str:
        shop = build_shop(_spec("shop", "sandbox-shop", box.shop.url), OpenGate())  # type: ignore[arg-type]
        try:
            held = await shop.read_products([gone])
            return held[gone].status if gone in held else "absent"
        finally:
            await shop.aclose()

    assert anyio.run(shop_status) in ("discontinued", "absent")
    assert state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)]
