"""The change-feed traps of a database, on real PostgreSQL and MariaDB: a transaction that
commits an old ``updated_at`` after newer rows were read, many rows sharing one time across
page boundaries, and rows stamped ahead of the database clock. The database clock is
replaced by a fixed one (``Database.clock``) so time moves without waiting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import anyio
import pytest
from sql_erp import Erp, spec
from sqlalchemy import text

from syncwright.connectors.base import ChangeQuery, OpenGate
from syncwright.connectors.sql.source import SqlSource
from syncwright.connectors.sql.writes import build

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
T = TypeVar("T")
PAGE = 5


def run(func: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(func)


def at_clock(source: SqlSource, moment: datetime) -> None:
    async def clock(conn: Any) -> datetime:
        return moment

    source.db.clock = clock


async def pass_titles(source: SqlSource, since: str | None) -> tuple[list[str], str | None]:
    """One whole change pass from ``since``: the titles read and the pass's last token."""
    titles: list[str] = []
    after = None
    last = since
    while True:
        page = await source.changed_products(ChangeQuery(since, after, PAGE))
        titles += [p.title for p in page.items]
        if page.last_key is not None:
            after, last = page.last_key, page.last_key[0]
        if page.complete:
            return titles, last


def stamp(erp: Erp, moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if erp.kind == "mariadb" else moment


async def add(erp: Erp, conn: Any, title: str, moment: datetime) -> None:
    await conn.execute(
        text("INSERT INTO item (title, handle, updated_at) VALUES (:t, :t, :u)"),
        {"t": title, "u": stamp(erp, moment)},
    )


async def late_commit(database: Any, settle: float) -> tuple[list[str], list[str]]:
    """Old row committed late; returns the titles of the pass before and after its commit."""
    erp = Erp(database)
    await erp.create()
    t0 = datetime.now(UTC).replace(microsecond=0)
    source = build(spec(database, page_size=PAGE, settle=settle), OpenGate())
    try:
        async with erp.engine.begin() as conn:
            await add(erp, conn, "old", t0 - timedelta(seconds=100))
        late = await erp.engine.connect()
        transaction = await late.begin()
        await add(erp, late, "late", t0 - timedelta(seconds=20))  # begun 20 s ago, open
        async with erp.engine.begin() as conn:
            await add(erp, conn, "newer", t0 - timedelta(seconds=10))
        at_clock(source, t0)
        first, token = await pass_titles(source, None)
        await transaction.commit()
        await late.close()
        at_clock(source, t0 + timedelta(seconds=60))
        second, _ = await pass_titles(source, token)
        return first, second
    finally:
        await source.aclose()
        await erp.aclose()


def test_a_late_commit_is_lost_without_a_settle_time(database: Any) -> None:
    """The trap itself: with no settle time the pass reads the newer row, its cursor passes
    the late row's time, and the late row, committed after, is never read."""
    first, second = run(lambda: late_commit(database, settle=0))
    assert first == ["old", "newer"]
    assert "late" not in second


def test_a_late_commit_within_the_settle_time_is_read(database: Any) -> None:
    first, second = run(lambda: late_commit(database, settle=30))
    assert first == ["old"]
    assert sorted(set(second) - {"old"}) == ["late", "newer"]


def test_rows_sharing_one_time_cross_pages_once_each(database: Any) -> None:
    async def main() -> list[str]:
        erp = Erp(database)
        await erp.create()
        t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=60)
        source = build(spec(database, page_size=PAGE), OpenGate())
        try:
            async with erp.engine.begin() as conn:
                for n in range(3 * PAGE + 2):
                    await add(erp, conn, f"tie-{n}", t0)
            titles, _ = await pass_titles(source, None)
            return titles
        finally:
            await source.aclose()
            await erp.aclose()

    titles = run(main)
    assert sorted(titles) == sorted(f"tie-{n}" for n in range(3 * PAGE + 2))
    assert len(titles) == len(set(titles))


def test_a_row_stamped_ahead_of_the_database_clock_waits_for_it(database: Any) -> None:
    """An application server whose clock runs an hour fast stamps a row in the future. Read
    at once, it would move the cursor an hour ahead and lose every row edited in that hour;
    it is read when the database clock reaches it, after the rows stamped before."""

    async def main() -> list[list[str]]:
        erp = Erp(database)
        await erp.create()
        t0 = datetime.now(UTC).replace(microsecond=0)
        source = build(spec(database, page_size=PAGE), OpenGate())
        try:
            async with erp.engine.begin() as conn:
                await add(erp, conn, "fast clock", t0 + timedelta(hours=1))
            at_clock(source, t0)
            first, token = await pass_titles(source, None)
            async with erp.engine.begin() as conn:
                await add(erp, conn, "edited later", t0 + timedelta(seconds=10))
            at_clock(source, t0 + timedelta(seconds=20))
            second, token = await pass_titles(source, token)
            at_clock(source, t0 + timedelta(hours=1, seconds=1))
            third, _ = await pass_titles(source, token)
            return [first, second, third]
        finally:
            await source.aclose()
            await erp.aclose()

    first, second, third = run(main)
    assert first == []
    assert second == ["edited later"]
    assert third[-1] == "fast clock"
