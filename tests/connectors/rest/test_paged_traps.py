"""Traps of a page-numbered change feed (the paged example's shape): an item edited while a
pass pages moves to the end, and every item after it moves one place up. Following the
server's next page would then skip one item, whose old time is before the next pass: lost.
With ``resume = "since"`` each page asks again from the last time read. And the call counts
of a full and an incremental read on that shape: the fewest its largest page allows."""

from __future__ import annotations

import anyio
from paged_server import PagedServer
from rest_helpers import EXAMPLES, connector

from syncwright.connectors.base import ChangeQuery, ListQuery, Page
from syncwright.connectors.model import Product

SECRET = "trap-secret"


def test_an_edit_while_paging_skips_no_item() -> None:
    with PagedServer(SECRET) as server:
        store = server.store
        codes = []
        for n in range(7):
            codes.append(store.add_item(f"Item {n}", {f"TR-{n}": "1.00"}))
            store.items[codes[-1]]["lastModified"] = 1_700_000_000 + n  # one second apart

        async def main() -> list[str]:
            source = connector(server.url, str(EXAMPLES / "paged.toml"), SECRET)
            seen: list[str] = []
            after = None
            try:
                for number in range(10):
                    page: Page[Product] = await source.changed_products(  # type: ignore[attr-defined]
                        ChangeQuery(since="2023-11-14T00:00:00Z", after=after, limit=3)
                    )
                    seen += [p.external_id for p in page.items]
                    if number == 0:
                        store.touch(codes[1], name="Edited while paging")
                    if page.complete:
                        return seen
                    after = page.resume_key
            finally:
                await source.aclose()
            raise AssertionError("the pass never ends")

        seen = anyio.run(main)
    assert set(codes) <= set(seen), f"skipped {sorted(set(codes) - set(seen))}"
    assert seen.count(codes[1]) == 2  # read before its edit and after it


def test_full_and_incremental_reads_make_the_fewest_calls() -> None:
    # 120 products at the largest page (50): 3 calls; 7 changed since: 1 call. Tokens: one.
    with PagedServer(SECRET) as server:
        store = server.store
        codes = [store.add_item(f"Item {n}", {f"CC-{n}": "1.00"}) for n in range(120)]
        for code in codes:
            store.items[code]["lastModified"] = 1_700_000_000
        for code in codes[:7]:
            store.items[code]["lastModified"] = 1_700_000_100

        async def main() -> tuple[int, int, int]:
            source = connector(server.url, str(EXAMPLES / "paged.toml"), SECRET)
            try:
                count, after = 0, None
                while True:
                    page = await source.list_products(ListQuery(after=after, limit=1000))
                    count += len(page.items)
                    if page.complete:
                        break
                    assert page.resume_key is not None
                    after = page.resume_key[1]
                full_calls = store.requests
                changed = await source.changed_products(  # type: ignore[attr-defined]
                    ChangeQuery(since="2023-11-14T22:15:00Z", after=None, limit=1000)
                )
                assert changed.complete and len(changed.items) == 7
                return count, full_calls, store.requests - full_calls
            finally:
                await source.aclose()

        count, full_calls, incremental_calls = anyio.run(main)
        assert store.tokens_issued == 1
    assert (count, full_calls, incremental_calls) == (120, 3, 1)
