"""The sql kind's change feeds on real PostgreSQL and MariaDB: a monotonic row version as
the cursor, and the number of statements (budget units) a full and a change pass cost."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import anyio
import pytest
from sql_erp import Erp, spec

from syncwright.connectors.base import ChangeQuery, ListQuery
from syncwright.connectors.sql.writes import build

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
T = TypeVar("T")
PAGE = 4
VERSIONED = "SELECT id, title, handle, 'live' AS status, rv AS changed FROM item"


def run(func: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(func)


class CountingGate:
    def __init__(self) -> None:
        self.calls = 0

    async def acquire(self, cost: float = 1.0) -> None:
        self.calls += 1

    def report(self, status: int, headers: Mapping[str, str], *, cost: float | None = None) -> None:
        return None


async def change_pass(source: Any, since: str | None) -> tuple[list[str], str | None]:
    titles: list[str] = []
    after, last = None, since
    while True:
        page = await source.changed_products(ChangeQuery(since, after, PAGE))
        titles += [p.title for p in page.items]
        if page.last_key is not None:
            after, last = page.last_key, page.last_key[0]
        if page.complete:
            return titles, last


def test_a_row_version_cursor_finds_an_edit_after_the_last_token(database: Any) -> None:
    async def main() -> tuple[list[str], list[str]]:
        erp = Erp(database)
        await erp.create()
        await erp.run("ALTER TABLE item ADD COLUMN rv BIGINT NOT NULL DEFAULT 0")
        for n in range(2 * PAGE + 1):
            await erp.run(
                "INSERT INTO item (title, handle, rv) VALUES (:t, :t, :v)", t=f"v{n}", v=n + 1
            )
        source = build(
            spec(database, page_size=PAGE, cursor="version", products={"query": VERSIONED}),
            CountingGate(),
        )
        try:
            first, token = await change_pass(source, None)
            await erp.run("UPDATE item SET title = 'edited', rv = 100 WHERE title = 'v0'")
            second, _ = await change_pass(source, token)
            return first, second
        finally:
            await source.aclose()
            await erp.aclose()

    first, second = run(main)
    assert first == [f"v{n}" for n in range(2 * PAGE + 1)]
    # The bound is inclusive: the last item read comes again, then the edit.
    assert second == [f"v{2 * PAGE}", "edited"]


def test_a_full_and_a_change_pass_cost_one_unit_per_page(database: Any) -> None:
    async def main() -> tuple[int, int]:
        erp = Erp(database)
        await erp.create()
        await erp.seed(2 * PAGE + 1)
        gate = CountingGate()
        source = build(spec(database, page_size=PAGE), gate)
        try:
            after = None
            while True:
                page = await source.list_products(ListQuery(after, PAGE))
                if page.complete:
                    break
                after = page.last_key[1] if page.last_key else None
            listing, gate.calls = gate.calls, 0
            await change_pass(source, None)
            return listing, gate.calls
        finally:
            await source.aclose()
            await erp.aclose()

    # 9 products in pages of 4: 3 pages, each one connection use (products + variants).
    assert run(main) == (3, 3)


def test_naive_times_in_the_erps_zone_become_utc_tokens_and_bounds(database: Any) -> None:
    """An ERP that stamps local wall-clock time in a column without a zone (PostgreSQL
    ``timestamp``, MariaDB ``DATETIME``): tokens are UTC and a bound finds the same row."""

    async def main() -> tuple[list[str | None], list[str]]:
        erp = Erp(database)
        await erp.create()
        kind = "TIMESTAMP(6)" if database.kind == "postgresql" else "DATETIME(6)"
        await erp.run(f"CREATE TABLE local_item (id INT PRIMARY KEY, title TEXT, at {kind})")
        await erp.run("GRANT SELECT ON local_item TO syncwright")
        await erp.run(
            "INSERT INTO local_item VALUES (1, 'winter', '2026-01-05 13:00:00'),"
            " (2, 'summer', '2026-07-05 14:00:00')"
        )
        query = "SELECT id, title, title AS handle, 'live' AS status, at AS changed FROM local_item"
        settings = {"products": {"query": query}, "naive_times": True, "timezone": "Europe/Berlin"}
        source = build(spec(database, page_size=PAGE, **settings), CountingGate())
        try:
            page = await source.changed_products(ChangeQuery(None, None, PAGE))
            tokens = [p.modified_at.isoformat() if p.modified_at else None for p in page.items]
            since = await source.changed_products(ChangeQuery("2026-07-05T12:00:00Z", None, PAGE))
            return tokens, [p.title for p in since.items]
        finally:
            await source.aclose()
            await erp.aclose()

    tokens, since = run(main)
    assert tokens == ["2026-01-05T12:00:00+00:00", "2026-07-05T12:00:00+00:00"]
    assert since == ["summer"]
