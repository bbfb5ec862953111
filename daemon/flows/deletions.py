"""Deletions that show only as absence: a periodic complete listing of the source's product
ids, compared with the links, and the worst-case time to notice such a deletion.

A source that marks a deletion (a deleted flag in its change feed) is caught by the next change
pull. One that just drops the item never shows it in a change feed. The ``deletions`` job
(class 3, like a ghost sweep) lists every live product id, every ``schedule.deletions`` where
the source can list ids cheaply (``ProductIdLister``), else with the full listing at the pace
of the scheduled full sync. Only a listing that completed infers anything: each linked product
it did not contain is fetched once more, and the ones the source no longer has are written to
the channel as discontinued (as a ghost sweep does for the one item it visits) and marked gone
(``item_state``), so later checks skip them until they are written again.

:func:`deletion_bound` states the worst case per connection for ``check-config`` and
``status``: the soonest of an audit pull pass, the id listing, the full listing and a ghost
rotation.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from syncwright.connectors.base import ListQuery, Page, ProductIdLister
from syncwright.connectors.errors import TransientError
from syncwright.daemon.durations import format_duration
from syncwright.daemon.flows import cursor as cursors
from syncwright.daemon.flows import item_state, verify
from syncwright.daemon.flows.context import Commit, FlowContext, fetch_in
from syncwright.daemon.flows.ghost import rotation_seconds
from syncwright.daemon.jobs.job import Job, JobSpec

KIND = "deletions"
CLASS = 3
#: The ``cursors`` row whose value is when the last check was queued (unix seconds).
TIMER = "products:deletions"
#: Ids per page where the source lists ids only (pages of records use the page size).
ID_PAGE = 1000


def deletions_spec() -> JobSpec:
    return JobSpec(kind=KIND, cls=CLASS, payload={}, dedup_key=KIND)


def interval(lists_ids: bool, deletions: float | None, full: float | None) -> float | None:
    """How often the check runs: the id listing's own schedule, else the full sync's."""
    return deletions if lists_ids else full


async def _listed(ctx: FlowContext) -> set[str]:
    """Every live product id of the source, from one complete listing."""
    source: Any = ctx.source
    by_id = isinstance(source, ProductIdLister)
    seen: set[str] = set()
    after: str | None = None
    while True:
        if by_id:
            page: Page[Any] = await source.list_product_ids(ListQuery(after, ID_PAGE))
            seen.update(page.items)
        else:
            page = await source.list_products(ListQuery(after, ctx.settings.page_size))
            seen.update(p.external_id for p in page.items)
        if page.complete:
            return seen
        if page.resume_key is None:  # more to come, but nowhere to go on from: infer nothing
            raise TransientError("the source's listing said more exists but gave no position")
        after = page.resume_key[1]


async def check(ctx: FlowContext, job: Job) -> Commit:
    seen = await _listed(ctx)
    rows = await ctx.store.fetchall(
        "SELECT source_id FROM links WHERE connection = ? AND entity = 'product'",
        (ctx.connection,),
    )
    absent = sorted({row["source_id"] for row in rows} - seen)
    if absent:  # found gone by an earlier check: nothing to do until it comes back
        known = await fetch_in(
            ctx.store,
            "SELECT source_id FROM item_state WHERE connection = ? AND entity = 'product'"
            " AND token = ? AND source_id IN",
            (ctx.connection, item_state.GONE),
            absent,
        )
        done = {row["source_id"] for row in known}
        absent = [pid for pid in absent if pid not in done]
    # Confirm one by one: an item created and linked while the listing ran is not gone.
    gone = [pid for pid in absent if await ctx.source.get_product(pid) is None]
    apply = await verify.discontinue_from_channel(ctx, gone)

    def commit(conn: sqlite3.Connection) -> None:
        apply(conn)
        item_state.gone(conn, ctx.connection, "product", gone)

    return commit


async def last_check(ctx: FlowContext) -> float | None:
    cur = await cursors.load(ctx.store, ctx.connection, TIMER)
    return float(cur.value) if cur.value else None


def touch(conn: sqlite3.Connection, connection: str, now: float) -> None:
    cursors.save(conn, connection, TIMER, cursors.Cursor(repr(now)), now)


def deletion_bound(
    *,
    flows: tuple[str, ...] | list[str],
    audit: bool,
    recent: float,
    lists_ids: bool,
    deletions: float | None,
    full: float | None,
    links: int | None = None,
    ghost_batch: int = 10,
    ghost_interval: float = 3600.0,
) -> tuple[float | None, str]:
    """The worst-case seconds until a product deleted by absence is noticed (plus the time one
    listing takes), and by what; None when nothing would notice it."""
    if "products" not in flows:
        return None, "no products flow"
    ways: list[tuple[float, str]] = []
    if audit:
        ways.append((recent, f"an audit pull pass every {format_duration(recent)}"))
    every = interval(lists_ids, deletions, full)
    if every is not None:
        how = "id listing" if lists_ids else "full listing (source cannot list ids)"
        ways.append((every, f"{how} every {format_duration(every)}"))
    if links:
        rotation = rotation_seconds(links, ghost_batch, ghost_interval)
        ways.append((rotation, f"ghost rotation of {links} links"))
    if not ways:
        return None, "never: no audit mode, no id or full listing, no links to sweep yet"
    return min(ways, key=lambda way: way[0])  # the first listed wins a tie


def describe(bound: tuple[float | None, str]) -> str:
    seconds, how = bound
    if seconds is None:
        return how
    return f"within {format_duration(seconds)} ({how}) plus one listing"
