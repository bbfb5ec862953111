"""The BigCommerce connector against its emulator: quota headers told to the budget, 429s with
and without them, 204 empty pages, 207 partial batches, batch limits, and the date_modified
feed's page-shift trap."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from decimal import Decimal

import httpx
import pytest
from bc_support import TOKEN, connector, run, running

from syncwright.connectors.base import ChangeQuery, ListQuery
from syncwright.connectors.bigcommerce.emulator.quota import Quota
from syncwright.connectors.errors import RateLimitedError
from syncwright.connectors.model import Product, Variant
from syncwright.connectors.testing import sample_products


class Recorder:
    """A gate that never refuses and keeps what it was told."""

    def __init__(self) -> None:
        self.reports: list[tuple[int, dict[str, str]]] = []

    async def acquire(self, cost: float = 1.0) -> None:
        return None

    def report(self, status: int, headers: Mapping[str, str], *, cost: float | None = None) -> None:
        self.reports.append((status, dict(headers)))


def test_the_budget_is_told_what_the_store_says_is_left() -> None:
    async def main() -> None:
        async with running(quota=Quota(quota=150)) as emu:
            gate = Recorder()
            bc = connector(emu, gate)
            emu.quota.spend_other(100)  # another app spent from the same store quota
            await bc.read_products(["nothing"])
            await bc.aclose()
        status, headers = gate.reports[-1]
        assert status == 200
        assert headers["x-rate-limit-requests-left"] == "49"
        assert headers["x-ratelimit-remaining"] == "49"  # the name the budget reads
        assert 0 < float(headers["x-ratelimit-reset"]) <= 30

    run(main)


def test_a_spent_window_is_a_429_waiting_for_the_reset() -> None:
    async def main() -> None:
        async with running(quota=Quota(quota=150)) as emu:
            gate = Recorder()
            bc = connector(emu, gate)
            emu.quota.spend_other(150)
            with pytest.raises(RateLimitedError) as caught:
                await bc.read_products(["x"])
            assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 30
            assert "retry-after" in gate.reports[-1][1]
            emu.faults.update({"overload_429_rate": 1.0})
            with pytest.raises(RateLimitedError, match="overload") as overload:
                await bc.read_products(["x"])
            assert overload.value.retry_after is None  # no headers: backoff, not a reset
            await bc.aclose()

    run(main)


def test_an_empty_order_page_is_204_and_ends_the_pass() -> None:
    async def main() -> None:
        async with running() as emu:
            async with httpx.AsyncClient() as client:
                raw = await client.get(f"{emu.base}/v2/orders", headers={"X-Auth-Token": TOKEN})
            assert raw.status_code == 204 and raw.content == b""
            bc = connector(emu)
            page = await bc.changed_orders(ChangeQuery(since=None, after=None, limit=50))
            assert page.items == [] and page.complete
            await bc.aclose()

    run(main)


def test_a_refused_item_of_a_batch_is_that_item_s_error() -> None:
    async def main() -> None:
        async with running() as emu:
            bc = connector(emu)
            products = sample_products("BT", 12)
            assert all(r.ok for r in await bc.upsert_products(products))
            calls = dict(emu.calls)
            # Product 3 takes product 4's name (kept): BigCommerce refuses duplicates (207).
            renamed = [p.model_copy(update={"title": f"New {p.title}"}) for p in products]
            renamed[3] = renamed[3].model_copy(update={"title": products[4].title})
            renamed[4] = products[4]
            results = await bc.upsert_products(renamed)
            assert [r.ok for r in results].count(False) == 1 and not results[3].ok
            assert "duplicate" in (results[3].error or "")
            batches = emu.calls["PUT /v3/catalog/products"] - calls.get(
                "PUT /v3/catalog/products", 0
            )
            assert batches == 2  # 11 changed products at BigCommerce's 10 a batch
            await bc.aclose()

    run(main)


def test_the_feed_misses_nothing_when_items_move_during_a_pass() -> None:
    """Thirty products modified in the same second; one read on the first page is edited
    mid-pass (it moves to the end). Page numbers would skip an item; the key does not."""

    async def main() -> None:
        async with running() as emu:
            bc = connector(emu)
            await bc.upsert_products(sample_products("MV", 30))
            stamp = next(iter(emu.store.products.values()))["date_modified"]
            for p in emu.store.products.values():
                p["date_modified"] = stamp
            seen: list[str] = []
            after = None
            for step in range(20):
                page = await bc.changed_products(ChangeQuery(since=None, after=after, limit=10))
                seen += [p.external_id for p in page.items]
                if step == 0:
                    first = int(page.items[0].external_id)
                    emu.store.update_product(first, {"name": "Edited mid-pass"})
                if page.complete:
                    break
                after = page.resume_key
            assert set(seen) == {str(pid) for pid in emu.store.products}
            await bc.aclose()

    run(main)


def test_a_source_product_reads_with_its_own_ids_and_prices() -> None:
    async def main() -> None:
        async with running() as emu:
            bc = connector(emu)
            product = Product(
                external_id="77",
                title="Boots",
                handle="boots",
                variants=(
                    Variant(
                        external_id="v",
                        sku="B-1",
                        price=Decimal("5.50"),
                        options={"Size": "40"},
                        weight_grams=1200,
                    ),
                ),
            )
            await bc.upsert_products([product])
            page = await bc.list_products(ListQuery(after=None, limit=250))
            got = page.items[0]
            assert got.external_id == str(next(iter(emu.store.products)))
            assert got.variants[0].sku == "B-1" and got.variants[0].price == Decimal("5.50")
            assert got.variants[0].weight_grams == 1200
            ids = await bc.list_product_ids(ListQuery(after=None, limit=250))
            assert ids.items == [got.external_id] and ids.complete
            assert (await bc.get_product("B-1")) == got
            await bc.aclose()

    run(main)


def test_two_products_with_one_title_both_arrive_and_read_back_as_written() -> None:
    async def main() -> None:
        async with running() as emu:
            bc = connector(emu)
            twins = [p.model_copy(update={"title": "Same name"}) for p in sample_products("TW", 2)]
            assert all(r.ok for r in await bc.upsert_products(twins))
            names = sorted(p["name"] for p in emu.store.products.values())
            assert names == ["Same name", "Same name (TW-1)"]
            held = await bc.read_products([p.external_id for p in twins])
            assert all(held[p.external_id].content_hash() == p.content_hash() for p in twins)
            before = sum(emu.calls.values())
            assert all(r.ok for r in await bc.upsert_products(twins))
            assert sum(emu.calls.values()) - before == 1  # the read; nothing to write
            await bc.aclose()

    run(main)


def test_variants_added_removed_and_re_optioned_read_back_as_written() -> None:
    async def main() -> None:
        async with running() as emu:
            bc = connector(emu)
            (product,) = sample_products("VO", 1)
            assert all(r.ok for r in await bc.upsert_products([product]))
            small, medium = product.variants
            changed = product.model_copy(
                update={
                    "variants": (
                        small.model_copy(update={"options": {"Size": "XS"}, "title": "XS"}),
                        Variant(
                            external_id="VO-0-9",
                            sku="VO-0-9",
                            title="L",
                            position=1,
                            options={"Size": "L"},
                            price=Decimal("20.00"),
                        ),
                    )
                }
            )
            before = Counter(emu.calls)
            assert all(r.ok for r in await bc.upsert_products([changed]))
            made = Counter(emu.calls) - before
            assert made == Counter(
                {
                    "GET /v3/catalog/products": 1,  # what the store holds
                    "DELETE /v3/catalog/products/{id}/variants/{id}": 2,  # re-optioned, removed
                    "POST /v3/catalog/products/{id}/variants": 2,  # re-optioned, added
                    "PUT /v3/pricelists/{id}/records": 1,
                }
            ), made
            held = await bc.read_products([product.external_id])
            assert held[product.external_id].content_hash() == changed.content_hash()
            assert medium.sku not in {v["sku"] for v in emu.store.variants.values()}
            await bc.aclose()

    run(main)
