"""Call counts: full and incremental syncs of 1,000 products across 2 warehouses make the
fewest calls Unleashed's paging allows (pages of 1,000; one stock listing per warehouse)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from harness import Daemon
from helpers import start_server
from test_daemon_unleashed import ENV, config
from unleashed_support import CountingGate, EmulatorProcess, erp, running

from syncwright.connectors.base import ChangeQuery, ListQuery
from syncwright.connectors.unleashed.wire import derived_guid, to_token


def test_full_and_incremental_passes_at_the_minimum() -> None:
    async def main() -> None:
        async with running(products=1000) as emu:
            gate = CountingGate()
            conn = erp(emu, gate)
            products = await conn.list_products(ListQuery(None, 1000))
            assert products.complete and len(products.items) == 1000
            assert gate.calls == 1
            stock: list[Any] = []
            after = None
            while True:
                page = await conn.list_stock(ListQuery(after, 1000))
                stock += page.items
                if page.complete:
                    break
                assert page.resume_key is not None
                after = page.resume_key[1]
            assert gate.calls == 1 + 1 + 2  # warehouses, then one page per warehouse
            assert len(stock) == 2 * 667  # every third product has no stock row
            first = await conn.changed_products(ChangeQuery(None, None, 1000))
            assert first.complete and len(first.items) == 1000
            levels = await conn.changed_stock(ChangeQuery(None, None, 1000))
            assert levels.complete and len(levels.items) == 2 * 667
            assert gate.calls == 4 + 1 + 2
            # Ten edits a minute later: one call for products, one per warehouse for stock.
            emu.clock.offset += timedelta(minutes=1)
            since = to_token(emu.clock())
            for n in range(1, 11):
                code = f"UL-{n:05d}"
                emu.store.upsert_product(
                    derived_guid("emulator", "product", code), {"ProductCode": code}
                )
            before = gate.calls
            changed = await conn.changed_products(ChangeQuery(since, None, 1000))
            assert changed.complete and len(changed.items) == 10
            none = await conn.changed_stock(ChangeQuery(since, None, 1000))
            assert none.complete and not none.items
            assert gate.calls - before == 1 + 2
            await conn.aclose()

    anyio.run(main)


def test_one_more_than_a_page_takes_one_more_call() -> None:
    async def main() -> None:
        async with running(products=1001) as emu:
            gate = CountingGate()
            conn = erp(emu, gate)
            seen = []
            after = None
            while True:
                page = await conn.list_products(ListQuery(after, 1000))
                seen += [p.external_id for p in page.items]
                if page.complete:
                    break
                assert page.resume_key is not None
                after = page.resume_key[1]
            assert len(set(seen)) == len(seen) == 1001 and gate.calls == 2
            query = ChangeQuery(None, None, 1000)
            changed: list[str] = []
            while True:
                got = await conn.changed_products(query)
                changed += [p.external_id for p in got.items]
                if got.complete:
                    break
                query = ChangeQuery(None, got.resume_key, 1000)
            assert sorted(set(changed)) == sorted(seen)
            await conn.aclose()

    anyio.run(main)


@pytest.mark.slow
def test_the_daemon_full_sync_of_a_thousand_products_at_the_minimum(tmp_path: Path) -> None:
    emu = EmulatorProcess(
        tmp_path, "--products", "1000", "--warehouses", "MAIN:Main warehouse,NORTH:North store"
    )
    shop = start_server("shop", tmp_path / "shop.db")
    try:
        path = config(tmp_path, emu, shop, '["products", "stock"]')
        text = path.read_text().replace("page_size = 500", "page_size = 1000")
        path.write_text(text)
        Daemon(path, ENV).run_ok(timeout=300)
        calls = emu.call("GET", "/_emulator/stats")["by_route"]
        assert calls == {
            "GET /Products/{page:int}": 1,
            "GET /Warehouses/{page:int}": 1,
            "GET /StockOnHand/{page:int}": 2,
        }
        # An incremental run with nothing changed: one products call, one per warehouse.
        Daemon(path, ENV).run_ok(timeout=300)
        again = emu.call("GET", "/_emulator/stats")["by_route"]
        assert again["GET /Products/{page:int}"] == 2
        assert again["GET /StockOnHand/{page:int}"] == 4
    finally:
        shop.stop()
        emu.stop()
