"""Audit-mode pulls, for sources that cannot list changes (or when config forces it).

Each pass lists everything, a page per ``pull`` job, and compares each item's content hash with
the ``audit`` table: only new or changed items are forwarded (the flow's ``apply``). Every item
seen is stamped with the pass number. When a pass's listing has completed, every page read
without error, the items it did not see are gone: products are then written to the channel as
discontinued (from the last record kept in the audit table) by ``audit_gone`` jobs. A pass that
cannot finish (a page keeps failing) infers nothing; it resumes where it stopped.

The pass's progress lives in the ``cursors`` table under the flow name plus ``:audit``: the
value is the last completed pass, ``pass_since`` the pass in progress, ``pass_after`` its
listing position.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from syncwright.connectors.base import ListQuery
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Product, StockLevel
from syncwright.daemon import synclog
from syncwright.daemon.flows import cursor as cursors
from syncwright.daemon.flows import products
from syncwright.daemon.flows.context import Commit, FlowContext, fetch_in
from syncwright.daemon.jobs.job import Job, JobSpec

if TYPE_CHECKING:
    from syncwright.daemon.flows.pull import PullFlow

SUFFIX = ":audit"
GONE_BATCH = 500

Deleter = Callable[[FlowContext, Sequence[str]], Awaitable[Commit]]


async def _discontinue_products(ctx: FlowContext, records: Sequence[str]) -> Commit:
    gone = [
        Product.model_validate_json(raw).model_copy(update={"status": "discontinued"})
        for raw in records
    ]
    return products.record(ctx, await products.push_products(ctx, gone))


#: Flows whose vanished items are written back as deleted; other flows just forget them.
DELETIONS: dict[str, Deleter] = {"products": _discontinue_products}


def item_key(item: Any) -> str:
    if isinstance(item, StockLevel):
        return f"{item.sku}|{item.location}"
    return str(item.external_id)


def gone_spec(flow: str, cls: int) -> JobSpec:
    return JobSpec(
        kind="audit_gone", cls=cls, payload={"flow": flow}, dedup_key=f"audit_gone:{flow}"
    )


async def audit_page(ctx: FlowContext, job: Job, flow: PullFlow, next_page: JobSpec) -> Commit:
    if flow.list_all is None:
        raise PermanentError(f"{flow.name}: this flow cannot be listed, so it has no audit mode")
    state_key = flow.name + SUFFIX
    cur = await cursors.load(ctx.store, ctx.connection, state_key)
    if cur.in_pass and cur.pass_since is not None and cur.pass_after is not None:
        number, after = int(cur.pass_since), cur.pass_after[1]
    else:
        number, after = int(cur.value or 0) + 1, None
    limit = min(ctx.settings.page_size, ctx.source.capabilities.max_page_size)
    page = await flow.list_all(ctx, ListQuery(after, limit))
    latest = {item_key(item): item for item in page.items}
    digests = {key: item.content_hash() for key, item in latest.items()}
    rows = await fetch_in(
        ctx.store,
        "SELECT external_id, hash FROM audit WHERE connection = ? AND entity = ?"
        " AND external_id IN",
        (ctx.connection, flow.name),
        list(latest),
    )
    known = {row["external_id"]: row["hash"] for row in rows}
    changed = [item for key, item in latest.items() if known.get(key) != digests[key]]
    apply = await flow.apply(ctx, changed) if changed else None
    keep = flow.name in DELETIONS
    seen = [
        (
            ctx.connection,
            flow.name,
            key,
            digests[key],
            number,
            item.model_dump_json() if keep else None,
        )
        for key, item in latest.items()
    ]
    follow = cursors.continuation(
        page, None if after is None else ("", after), f"{flow.name} listing"
    )
    position = None if follow is None else (str(number), follow[1])
    now = ctx.now()

    def commit(conn: sqlite3.Connection) -> None:
        if apply is not None:
            apply(conn)
        conn.executemany(
            "INSERT INTO audit (connection, entity, external_id, hash, seen_pass, record)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (connection, entity, external_id) DO UPDATE"
            " SET hash = excluded.hash, seen_pass = excluded.seen_pass,"
            " record = excluded.record, gone_pass = NULL",
            seen,
        )
        if position is not None:
            progress = cursors.Cursor(cur.value, str(number), position, None)
            cursors.save(conn, ctx.connection, state_key, progress, now)
            ctx.queue.enqueue_in(conn, ctx.connection, next_page)
            return
        gone = conn.execute(
            "UPDATE audit SET gone_pass = ? WHERE connection = ? AND entity = ?"
            " AND seen_pass < ? AND gone_pass IS NULL",
            (number, ctx.connection, flow.name, number),
        ).rowcount
        if not keep:
            conn.execute(
                "DELETE FROM audit WHERE connection = ? AND entity = ? AND gone_pass IS NOT NULL",
                (ctx.connection, flow.name),
            )
        elif gone:
            ctx.queue.enqueue_in(conn, ctx.connection, gone_spec(flow.name, next_page.cls))
        cursors.save(conn, ctx.connection, state_key, cursors.Cursor(str(number)), now)
        synclog.touch_partial(conn, ctx.connection, now)

    return commit


async def audit_gone(ctx: FlowContext, job: Job) -> Commit:
    """Write a batch of items a completed audit pass found gone; queue the next batch."""
    flow = str(job.payload.get("flow", ""))
    deleter = DELETIONS.get(flow)
    if deleter is None:
        raise PermanentError(f"audit: no way to write deletions for the flow {flow!r}")
    rows = await ctx.store.fetchall(
        "SELECT external_id, record FROM audit WHERE connection = ? AND entity = ?"
        " AND gone_pass IS NOT NULL ORDER BY external_id LIMIT ?",
        (ctx.connection, flow, GONE_BATCH + 1),
    )
    more, rows = len(rows) > GONE_BATCH, rows[:GONE_BATCH]
    apply = await deleter(ctx, [row["record"] for row in rows if row["record"]])
    ids = [(ctx.connection, flow, row["external_id"]) for row in rows]

    def commit(conn: sqlite3.Connection) -> None:
        apply(conn)
        # Seen again by a pass while this job ran: forward it again on the next pass.
        conn.executemany(
            "UPDATE audit SET hash = '' WHERE connection = ? AND entity = ? AND external_id = ?"
            " AND gone_pass IS NULL",
            ids,
        )
        conn.executemany(
            "DELETE FROM audit WHERE connection = ? AND entity = ? AND external_id = ?"
            " AND gone_pass IS NOT NULL",
            ids,
        )
        if more:
            ctx.queue.enqueue_in(conn, ctx.connection, gone_spec(flow, job.cls))

    return commit
