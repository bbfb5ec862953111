"""The Xero connector against its emulator over loopback: feeds, paging, look-ups, call counts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import anyio
from xero_support import contacts, items, running

from syncwright.connectors.base import ChangeQuery, ListQuery
from syncwright.connectors.xero import wire


def test_a_full_item_feed_larger_than_a_page_takes_one_call_and_every_item_once(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            await xero.control("items", items(1001) + items(5, tracked=False, prefix="SVC"))
            books = xero.connector()
            seen: list[str] = []
            after = None
            while True:
                page = await books.changed_products(ChangeQuery(None, after, 1000))
                seen += [p.variants[0].sku or "" for p in page.items]
                if page.complete:
                    break
                after = page.resume_key
            assert len(seen) == len(set(seen)) == 1006
            assert xero.emulator.by_route == {"GET /Items": 1}
            stock, after = [], None
            while True:
                spage = await books.changed_stock(ChangeQuery(None, after, 1000))
                stock += spage.items
                if spage.complete:
                    break
                after = spage.resume_key
            assert len(stock) == 1001  # untracked service items hold no stock
            assert {s.location for s in stock} == {"Main"}
            assert xero.emulator.by_route == {"GET /Items": 2}
            await books.aclose()

    anyio.run(main)


def test_an_incremental_pull_asks_if_modified_since_to_the_second_inclusively(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            await xero.control("items", items(50))
            books = xero.connector()
            first = await books.changed_products(ChangeQuery(None, None, 1000))
            assert first.last_key is not None
            high = first.last_key[0]
            # Two edits later; the lower bound carries milliseconds, the header only seconds.
            xero.emulator.offset += 2
            await xero.control("stock", {"SKU-00003": 40, "SKU-00007": 1})
            page = await books.changed_products(ChangeQuery(high, None, 1000))
            skus = [p.variants[0].sku for p in page.items]
            assert skus[-2:] == ["SKU-00003", "SKU-00007"]
            assert page.complete
            levels = {s.sku: s.quantity for s in (await books.get_stock(["SKU-00003"]))}
            assert levels == {"SKU-00003": 40}
            assert wire.modified_since("2026-01-02T03:04:05.678Z") == "2026-01-02T03:04:05"
            assert xero.emulator.by_route["GET /Items"] == 2  # the first pass, the SKU look-up
            assert xero.emulator.by_route["GET /Items (If-Modified-Since)"] == 1
            await books.aclose()

    anyio.run(main)


def test_contacts_page_through_more_than_the_largest_page_each_once(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            await xero.control("contacts", contacts(1203))
            books = xero.connector()
            seen: list[str] = []
            after = None
            while True:
                page = await books.changed_customers(ChangeQuery(None, after, 1000))
                seen += [c.external_id for c in page.items]
                if page.complete:
                    break
                assert page.resume_key is not None and page.resume_key != after
                after = page.resume_key
            assert len(seen) == len(set(seen)) == 1203
            # All 1,203 share one second here: the page after the first re-reads that second.
            assert xero.emulator.by_route["GET /Contacts"] == 1
            assert xero.emulator.by_route["GET /Contacts (If-Modified-Since)"] <= 3
            listed, last = [], None
            while True:
                lpage = await books.list_customers(ListQuery(last, 500))
                listed += [c.external_id for c in lpage.items]
                if lpage.complete:
                    break
                assert lpage.last_key is not None
                last = lpage.last_key[1]
            assert sorted(listed) == sorted(seen)
            await books.aclose()

    anyio.run(main)


def test_products_listing_ids_and_single_lookups(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            made = (await xero.control("items", items(3)))["Items"]
            books = xero.connector()
            ids = await books.list_product_ids(ListQuery(None, 1000))
            assert sorted(ids.items) == sorted(i["ItemID"] for i in made)
            by_id = await books.get_product(made[1]["ItemID"])
            by_sku = await books.get_product("SKU-00001")
            assert by_id is not None and by_id == by_sku
            assert by_id.variants[0].price == Decimal("6")
            assert await books.get_product("NOPE") is None
            assert await books.get_product("00000000-0000-4000-8000-000000000000") is None
            settings = await books.get_settings()
            assert settings.currency == "NZD"
            await books.aclose()

    anyio.run(main)


def test_customers_match_by_email_ignoring_case_and_never_archived(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            await xero.control(
                "contacts",
                [
                    {"Name": "Ann", "EmailAddress": "Ann@Example.test", "AccountNumber": "A1"},
                    {
                        "Name": "Old Ann",
                        "EmailAddress": "ann@example.test",
                        "ContactStatus": "ARCHIVED",
                    },
                ],
            )
            books = xero.connector()
            found = await books.find_customers(email="ANN@example.test", account_id=None)
            assert [c.email for c in found] == ["Ann@Example.test"]
            by_account = await books.find_customers(email=None, account_id="A1")
            assert [c.accounting_id for c in by_account] == ["A1"]
            await books.aclose()

    anyio.run(main)


def test_xero_dates_and_the_if_modified_since_edge() -> None:
    when = wire.parse_date("/Date(1551484292734+0000)/")
    assert when is not None and wire.token(when) == "2019-03-01T23:51:32.734Z"
    # An offset in the /Date()/ form does not move the instant.
    assert wire.parse_date("/Date(1551484292734+1300)/") == when
    # ISO without a zone is UTC; the header is UTC, whole seconds, rounded down (inclusive).
    assert wire.parse_date("2019-03-01T23:51:32.734") == when
    assert wire.modified_since("2026-01-02T15:04:05.678+13:00") == "2026-01-02T02:04:05"
    assert wire.modified_since("2026-01-02T02:04:05Z") == "2026-01-02T02:04:05"
    assert wire.parse_date("not a date") is None and wire.parse_date(None) is None
