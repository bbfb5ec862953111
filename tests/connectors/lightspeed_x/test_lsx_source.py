"""The X-Series connector against its emulator over loopback HTTP: the version-cursor feeds of
products (assembled into families), stock per outlet and customers, with their call counts."""

from __future__ import annotations

from collections import Counter

import pytest
from lx_support import connector, drain, run, running

from syncwright.connectors.base import ListQuery
from syncwright.connectors.lightspeed_x.emulator.control import seed
from syncwright.connectors.model import Product, StockLevel

FAMILIES = 1001  # 2,002 variant rows: three pages of the platform's largest (1,000 rows)


@pytest.mark.timeout(300)
def test_a_full_and_an_incremental_pass_make_the_fewest_calls() -> None:
    async def main() -> None:
        async with running() as emu:
            seed(emu.store, FAMILIES, 2, outlets=2)
            lsx = connector(emu)
            try:
                products, high = await drain(lsx.changed_products)
                assert len(products) == FAMILIES
                assert {len(p.variants) for p in products} == {2}
                assert len({p.external_id for p in products}) == FAMILIES
                sizes = {v.options["Size"] for p in products for v in p.variants}
                assert sizes == {"S", "M"}
                # 2,002 rows: pages of 1,000, 1,000, 2 and the empty page that ends the pass;
                # no family crosses a page, so no family is read again.
                assert emu.calls == Counter({"GET /api/2.0/products": 4})
                emu.calls.clear()
                levels, stock_high = await drain(lsx.changed_stock)
                assert len(levels) == FAMILIES * 2 * 2
                assert {lv.location for lv in levels} == {"Main Outlet", "Outlet 2"}
                assert all(lv.quantity == 5 for lv in levels)
                # 4,004 rows in 5 pages + the empty one; outlets once (a page and the end);
                # every SKU was learnt from the product pass.
                assert emu.calls == Counter(
                    {"GET /api/2.0/inventory": 6, "GET /api/2.0/outlets": 2}
                )

                # One variant edited, one level changed: the next pass reads one page each,
                # the edited variant's family whole, and the empty pages.
                edited = products[500].variants[1]
                emu.store.update_product(edited.external_id, price_excluding_tax=99.5)
                sku = products[7].variants[0].sku
                assert sku is not None
                pid = emu.store.by_sku(sku)
                assert pid is not None
                emu.store.set_level(pid["id"], emu.store.outlet_named("Outlet 2"), 1)
                emu.calls.clear()
                changed, _ = await drain(lsx.changed_products, high)
                # since is inclusive: the last family of the full pass comes again, unchanged
                # and from memory (no read); the edited one is read whole (its other variant
                # did not change).
                assert [p.external_id for p in changed] == [
                    products[-1].external_id,
                    products[500].external_id,
                ]
                assert changed[0] == products[-1]
                assert str(changed[1].variants[1].price) == "99.50"
                assert changed[1].variants[0] == products[500].variants[0]
                assert emu.calls == Counter({"GET /api/2.0/products": 3})
                emu.calls.clear()
                changed_levels, _ = await drain(lsx.changed_stock, stock_high)
                assert (sku, "Outlet 2", 1) in [
                    (x.sku, x.location, x.quantity) for x in changed_levels
                ]
                # the level's SKU is known and so are the outlets: a page and the end
                assert emu.calls == Counter({"GET /api/2.0/inventory": 2})
            finally:
                await lsx.aclose()

    run(main)


def test_the_feed_carries_deletes_and_since_is_inclusive() -> None:
    async def main() -> None:
        async with running() as emu:
            seed(emu.store, 3, 3)
            lsx = connector(emu)
            try:
                products, high = await drain(lsx.changed_products)
                assert high is not None
                # since is inclusive: the row at the high-water is read again
                again, _ = await drain(lsx.changed_products, high)
                assert [p.external_id for p in again] == [products[-1].external_id]
                first, second = products[0], products[1]
                emu.store.delete_product(first.variants[2].external_id)  # one variant
                emu.store.delete_product(second.external_id)  # the whole family
                changed, _ = await drain(lsx.changed_products, str(int(high) + 1))
                by_id = {p.external_id: p for p in changed}
                assert by_id[first.external_id].status == "live"
                assert len(by_id[first.external_id].variants) == 2
                assert by_id[second.external_id].status == "discontinued"
                # the audit listing leaves deleted rows out
                listed: list[Product] = []
                after = None
                while True:
                    page = await lsx.list_products(ListQuery(after=after, limit=2))
                    listed.extend(page.items)
                    if page.complete:
                        break
                    assert page.last_key is not None
                    after = page.last_key[1]
                assert second.external_id not in {p.external_id for p in listed}
            finally:
                await lsx.aclose()

    run(main)


def test_single_items_by_sku_and_id() -> None:
    async def main() -> None:
        async with running() as emu:
            seed(emu.store, 2, 2, outlets=2)
            lsx = connector(emu)
            try:
                product = await lsx.get_product("LX-00001-1")
                assert product is not None and len(product.variants) == 2
                assert product == await lsx.get_product(product.external_id)
                assert await lsx.get_product("NOPE") is None
                emu.calls.clear()
                levels = await lsx.get_stock(["LX-00001-1"])
                assert sorted(lv.location for lv in levels) == ["Main Outlet", "Outlet 2"]
                assert all(isinstance(lv, StockLevel) and lv.quantity == 5 for lv in levels)
                # the SKU is known from the product read: one inventory call (and the outlets)
                assert emu.calls["GET /api/2.0/products/{pid}/inventory"] == 1
                assert emu.calls["GET /api/2.0/products"] == 0
                settings = await lsx.get_settings()
                assert settings.currency == "NZD"
            finally:
                await lsx.aclose()

    run(main)


def test_stock_of_products_never_seen_is_named_by_sku() -> None:
    async def main() -> None:
        async with running() as emu:
            seed(emu.store, 20, 2)
            lsx = connector(emu)
            try:
                levels, _ = await drain(lsx.changed_stock)
                assert len(levels) == 40
                assert {lv.sku for lv in levels} == {r["sku"] for r in emu.store.products.values()}
                # 40 unknown ids: one read of the product collection, not 40 reads
                assert emu.calls["GET /api/2.0/products"] == 2
                assert emu.calls["GET /api/2.0/products/{pid}"] == 0
            finally:
                await lsx.aclose()

    run(main)


def test_customers_feed_match_and_create() -> None:
    async def main() -> None:
        async with running() as emu:
            store = emu.store
            a = store.add_customer(
                {
                    "first_name": "Ann",
                    "last_name": "Lee",
                    "email": "Ann@Example.com",
                    "customer_code": "ACC-1",
                }
            )
            store.add_customer({"first_name": "Bo", "last_name": "Ng", "email": "bo@x.io"})
            store.add_customer({"first_name": "Bo", "last_name": "Two", "email": "BO@x.io"})
            lsx = connector(emu)
            try:
                customers, high = await drain(lsx.changed_customers)
                assert len(customers) == 3
                found = await lsx.find_customers(email="ann@example.COM", account_id=None)
                assert [c.external_id for c in found] == [a["id"]]
                assert found[0].accounting_id == "ACC-1"
                by_code = await lsx.find_customers(email=None, account_id="ACC-1")
                assert [c.external_id for c in by_code] == [a["id"]]
                assert len(await lsx.find_customers(email="bo@x.io", account_id=None)) == 2
                new_id = await lsx.create_customer(
                    customers[0].model_copy(update={"email": "new@x.io", "accounting_id": None})
                )
                fetched = await lsx.get_customer(new_id)
                assert fetched is not None and fetched.email == "new@x.io"
                store.update_customer(a["id"], deleted_at="2026-01-01T00:00:00+00:00")
                changed, _ = await drain(lsx.changed_customers, high)
                assert a["id"] not in {c.external_id for c in changed}
            finally:
                await lsx.aclose()

    run(main)
