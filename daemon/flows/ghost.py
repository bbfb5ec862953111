"""Ghost sweeps: re-verify the linked products verified longest ago, and repair what drifted.

Every ``schedule.ghost_interval`` the scheduler queues one class-3 ``ghost`` job. It takes the
``ghost_batch`` linked products with the oldest ``last_verified_at`` (never verified first),
fetches each from the source and their stock in one call, reads the channel's copies, writes
only what differs, and records the new verification time. An item the source no longer has is
a deletion (discontinued on the channel); an item the source fails to read for good is that
item's sync-log error and moves to the back of the rotation, never the batch's failure. So
every item is looked at again within :func:`rotation_seconds`, even if nothing else touches it.
"""

from __future__ import annotations

import math
import sqlite3

from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Product
from syncwright.daemon import synclog
from syncwright.daemon.flows import item_state, products, verify
from syncwright.daemon.flows.context import Commit, FlowContext
from syncwright.daemon.jobs.job import Job, JobSpec

GHOST_CLASS = 3


def ghost_spec(batch: int, *, stock: bool = True, cls: int = GHOST_CLASS) -> JobSpec:
    return JobSpec(
        kind="ghost", cls=cls, payload={"batch": batch, "stock": stock}, dedup_key="ghost"
    )


def rotation_seconds(links: int, batch: int, interval: float) -> float:
    """How long until every one of ``links`` items has been re-verified once."""
    if links <= 0:
        return 0.0
    return math.ceil(links / max(1, batch)) * interval


async def linked_products(ctx: FlowContext) -> int:
    row = await ctx.store.fetchone(
        "SELECT count(*) FROM links WHERE connection = ? AND entity = 'product'",
        (ctx.connection,),
    )
    return 0 if row is None else int(row[0])


async def least_recently_verified(ctx: FlowContext, batch: int) -> list[str]:
    rows = await ctx.store.fetchall(
        "SELECT i.source_id FROM item_state i WHERE i.connection = ? AND i.entity = 'product'"
        " AND EXISTS (SELECT 1 FROM links l WHERE l.connection = i.connection"
        " AND l.entity = 'product' AND l.source_id = i.source_id)"
        " ORDER BY i.last_verified_at, i.source_id LIMIT ?",
        (ctx.connection, batch),
    )
    return [row["source_id"] for row in rows]


async def sweep(ctx: FlowContext, job: Job) -> Commit:
    batch = max(1, int(job.payload.get("batch", 10)))
    ids = await least_recently_verified(ctx, batch)
    found: list[Product] = []
    missing: list[str] = []
    failed: dict[str, str] = {}
    for pid in ids:
        try:
            product = await ctx.source.get_product(pid)
        except PermanentError as exc:  # this item's error, never the whole batch's
            failed[pid] = f"re-reading it from the back office failed: {exc}"
            continue
        if product is None:
            missing.append(pid)
        else:
            found.append(product)
    commits = [(await verify.repair_products(ctx, found))[0]]
    if missing:  # gone from the source without our noticing: discontinue it on the channel
        commits.append(await verify.discontinue_from_channel(ctx, missing))
    skus = sorted({v.sku for p in found for v in p.variants if v.sku})
    if skus and job.payload.get("stock", True):
        commits.append((await verify.repair_stock(ctx, await ctx.source.get_stock(skus)))[0])
    now = ctx.now()

    def commit(conn: sqlite3.Connection) -> None:
        for apply in commits:
            apply(conn)
        for pid, message in failed.items():
            synclog.add_error(conn, ctx.connection, products.FLOW, pid, message, now)
        # Also items the channel refused: they move to the back of the rotation.
        item_state.checked(conn, ctx.connection, "product", ids, now, known_only=True)

    return commit
