"""Read-ahead (daemon/flows/readahead.py): a page read beside the current work is handed only
to the identical query, only while fresh; a failed read-ahead is dropped; the work's own error
comes out as itself."""

from __future__ import annotations

import time

import anyio
import anyio.lowlevel
import pytest

from syncwright.connectors.base import ChangeQuery, Page
from syncwright.connectors.errors import TransientError
from syncwright.daemon.flows.readahead import MAX_AGE, ReadAhead

Q1 = ChangeQuery(since="2026-01-01T00:00:00Z", after=("2026-01-01T00:00:05Z", "41"), limit=50)


def page(*items: str) -> Page[str]:
    return Page(list(items), (f"t{items[-1]}", items[-1]) if items else None, complete=False)


async def work(value: str) -> str:
    await anyio.lowlevel.checkpoint()
    return value


def test_the_page_read_beside_goes_to_the_same_query_only() -> None:
    ahead = ReadAhead()

    async def main() -> None:
        async def fetch(query: ChangeQuery) -> Page[str]:
            return page("42", "43")

        assert await ahead.beside("c", "stock", Q1, fetch, work("applied")) == "applied"
        other = ChangeQuery(Q1.since, Q1.after, limit=51)
        assert ahead.take("c", "stock", other) is None
        assert ahead.take("c", "stock", Q1) is None  # dropped by the mismatch above
        await ahead.beside("c", "stock", Q1, fetch, work("again"))
        as_list = ChangeQuery(Q1.since, list(Q1.after), Q1.limit)  # type: ignore[arg-type]
        taken = ahead.take("c", "stock", as_list)  # the state file gives lists back
        assert taken is not None and list(taken[0].items) == ["42", "43"]
        assert ahead.take("c", "stock", Q1) is None  # taken once

    anyio.run(main)


def test_an_old_page_is_not_used() -> None:
    ahead = ReadAhead()
    ahead.keep("c", "products", Q1, page("1"), time.monotonic() - MAX_AGE - 1)
    assert ahead.take("c", "products", Q1) is None
    ahead.keep("c", "products", Q1, page("1"), None)
    assert ahead.take("c", "products", Q1) is not None


def test_a_failed_read_ahead_is_dropped_and_the_works_error_is_itself() -> None:
    ahead = ReadAhead()

    async def main() -> None:
        async def broken(query: ChangeQuery) -> Page[str]:
            raise TransientError("source down", system="erp")

        assert await ahead.beside("c", "p", Q1, broken, work("done")) == "done"
        assert ahead.take("c", "p", Q1) is None

        async def fetch(query: ChangeQuery) -> Page[str]:
            await anyio.sleep(0.05)
            return page("9")

        async def failing() -> str:
            raise ValueError("write refused")

        with pytest.raises(ValueError, match="write refused"):
            await ahead.beside("c", "p", Q1, fetch, failing())
        assert ahead.take("c", "p", Q1) is None  # the read-ahead was cancelled with it

    anyio.run(main)


def test_no_next_page_means_no_read() -> None:
    ahead = ReadAhead()
    calls: list[ChangeQuery] = []

    async def main() -> None:
        async def fetch(query: ChangeQuery) -> Page[str]:
            calls.append(query)
            return page("1")

        assert await ahead.beside("c", "q", None, fetch, work("last")) == "last"

    anyio.run(main)
    assert calls == []


def test_pages_too_old_to_use_are_dropped_when_another_is_kept() -> None:
    ahead = ReadAhead()
    ahead.keep("gone", "products", Q1, page("1"), time.monotonic() - MAX_AGE - 1)
    ahead.keep("live", "products", Q1, page("2"), None)
    assert ("gone", "products") not in ahead._pages
    assert ahead.take("live", "products", Q1) is not None
