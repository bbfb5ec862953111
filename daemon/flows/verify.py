"""Verify against the channel and repair drift: read what the channel holds, write what differs.

Full syncs, ghost sweeps and manual item syncs use this instead of the hash-only diff of change
pulls, so a title or quantity changed directly on the channel is put right. A product counts as
verified when it is linked and the channel's copy has the source's content hash; verified items
get their hash and ``last_verified_at`` recorded, and their open errors resolved.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

from syncwright.connectors.model import Product, StockLevel
from syncwright.daemon import synclog
from syncwright.daemon.flows import item_state, products, stock
from syncwright.daemon.flows.context import Commit, FlowContext, fetch_in


async def _linked(ctx: FlowContext, ids: Sequence[str]) -> set[str]:
    rows = await fetch_in(
        ctx.store,
        "SELECT source_id FROM links WHERE connection = ? AND entity = 'product' AND source_id IN",
        (ctx.connection,),
        ids,
    )
    return {row["source_id"] for row in rows}


async def verified_since(ctx: FlowContext, ids: Sequence[str], since: float) -> dict[str, str]:
    """Hashes of the items verified (or written) at or after ``since``."""
    rows = await fetch_in(
        ctx.store,
        "SELECT source_id, hash FROM item_state WHERE connection = ? AND entity = 'product'"
        " AND last_verified_at >= ? AND hash IS NOT NULL AND source_id IN",
        (ctx.connection, since),
        ids,
    )
    return {row["source_id"]: row["hash"] for row in rows}


async def repair_products(
    ctx: FlowContext,
    items: Sequence[Product],
    *,
    skip_verified_since: float | None = None,
    channel_hashes: Mapping[str, str] | None = None,
) -> tuple[Commit, int]:
    """Write the products whose channel copy differs from ``items``; returns the commit and
    how many were written. With ``skip_verified_since``, items already verified or written
    since then with the same content are not read again (a full sync running beside a pull).
    ``channel_hashes`` (the content hashes of the channel's copies, from one bulk read) replaces
    reading the channel's copies of this page."""
    latest = {p.external_id: p for p in items}
    digests = {pid: p.content_hash() for pid, p in latest.items()}
    if skip_verified_since is not None and latest:
        fresh = await verified_since(ctx, list(latest), skip_verified_since)
        latest = {pid: p for pid, p in latest.items() if fresh.get(pid) != digests[pid]}
    ids = list(latest)
    linked = await _linked(ctx, ids) if ids else set()
    if channel_hashes is None:
        held = await ctx.channel.read_products(ids) if ids else {}
        channel_hashes = {pid: copy.content_hash() for pid, copy in held.items()}
    verified: list[str] = []
    changed: list[tuple[Product, str]] = []
    for pid, product in latest.items():
        if pid in linked and channel_hashes.get(pid) == digests[pid]:
            verified.append(pid)
        else:
            changed.append((product, digests[pid]))
    apply = products.record(ctx, await products.write(ctx, changed))
    now = ctx.now()

    def commit(conn: sqlite3.Connection) -> None:
        apply(conn)
        hashes = [(pid, digests[pid]) for pid in verified]
        item_state.verified(conn, ctx.connection, "product", hashes, now)
        reads = [products.read_mark(p) for p in items]
        item_state.read_at_source(conn, ctx.connection, "product", reads, now)
        synclog.resolve(conn, ctx.connection, products.FLOW, verified)

    return commit, len(changed)


async def discontinue_from_channel(ctx: FlowContext, ids: Sequence[str]) -> Commit:
    """Items gone from the source: write the channel's own copy as discontinued."""
    held = await ctx.channel.read_products(list(ids)) if ids else {}
    gone = [
        p.model_copy(update={"status": "discontinued"})
        for p in held.values()
        if p.status != "discontinued"
    ]
    return products.record(ctx, await products.push_products(ctx, gone))


async def repair_stock(
    ctx: FlowContext, levels: Sequence[StockLevel], *, read_channel: bool = True
) -> tuple[Commit, int]:
    """Write the levels whose channel quantity differs (all of them without ``read_channel``);
    equal ones are recorded as pushed, so smart syncs compare with what the channel holds."""
    latest = {level.key: level for level in levels}
    if read_channel:
        skus = sorted({sku for sku, _ in latest})
        held = {lvl.key: lvl.quantity for lvl in await ctx.channel.read_stock(skus)} if skus else {}
    else:
        held = {}
    equal = [lvl for key, lvl in latest.items() if held.get(key) == lvl.quantity]
    differ = [lvl for key, lvl in latest.items() if held.get(key) != lvl.quantity]
    outcomes = await stock.push_levels(ctx, differ, full=True)
    written = sum(1 for out in outcomes if out.result is not None)
    apply = stock.record(ctx, outcomes)
    now = ctx.now()

    def commit(conn: sqlite3.Connection) -> None:
        apply(conn)
        stock.save_pushed(conn, ctx.connection, equal, now)
        synclog.resolve(conn, ctx.connection, stock.FLOW, [stock.level_id(lvl) for lvl in equal])

    return commit, written
