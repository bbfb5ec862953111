"""Traps of a page-numbered change feed (the paged example's shape): an item edited while a
pass pages moves to the end, and every item after it moves one place up. Following the
server's next page would then skip one item, whose old time is before the next pass: lost.
With ``resume = "since"`` each page asks again from the last time read."""

from __future__ import annotations

import anyio
from paged_server import PagedServer
from rest_helpers import EXAMPLES, connector

from syncwright.connectors.base import ChangeQuery, Page
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
