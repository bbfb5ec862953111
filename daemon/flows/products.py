"""Products flow: write changed products to the channel, only when their content hash changed.

A product is written when its canonical hash differs from the hash of what we last wrote (so
the pull overlap and repeated events cost no writes). Successful writes record the link and
the hash; refused items become sync-log errors; newly linked SKUs release stock that waited.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from connectors.model import Product, WriteResult
from daemon import synclog
from daemon.flows.context import Commit, FlowContext, fetch_in, map_batches
from daemon.flows.links import keep_link

FLOW = "products"


@dataclass(frozen=True, slots=True)
class ProductOutcome:
    product: Product
    hash: str
    result: WriteResult | None  # None: unchanged, nothing written


async def last_hashes(ctx: FlowContext, ids: Sequence[str]) -> dict[str, str | None]:
    rows = await fetch_in(
        ctx.store,
        "SELECT source_id, hash FROM item_state WHERE connection = ? AND entity = 'product'"
        " AND source_id IN",
        (ctx.connection,),
        ids,
    )
    return {row["source_id"]: row["hash"] for row in rows}


async def refusals(ctx: FlowContext, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(refused hash, error) of items whose last version the channel refused."""
    rows = await fetch_in(
        ctx.store,
        "SELECT source_id, refused_hash, last_error FROM item_state WHERE connection = ?"
        " AND entity = 'product' AND refused_hash IS NOT NULL AND source_id IN",
        (ctx.connection,),
        ids,
    )
    return {r["source_id"]: (r["refused_hash"], r["last_error"] or "refused") for r in rows}


async def push_products(ctx: FlowContext, products: Sequence[Product]) -> list[ProductOutcome]:
    """Write the products whose content changed; returns an outcome per product. A version the
    channel refused before is not offered again (its error stays open) until it changes."""
    latest: dict[str, Product] = {}
    for product in products:  # an item edited while paging can appear twice: keep the last
        latest[product.external_id] = product
    known = await last_hashes(ctx, list(latest))
    refused = await refusals(ctx, list(latest))
    outcomes: list[ProductOutcome] = []
    changed: list[tuple[Product, str]] = []
    for pid, product in latest.items():
        digest = product.content_hash()
        if known.get(pid) == digest:
            outcomes.append(ProductOutcome(product, digest, None))
        elif pid in refused and refused[pid][0] == digest:
            error = WriteResult(external_id=pid, error=refused[pid][1])
            outcomes.append(ProductOutcome(product, digest, error))
        else:
            changed.append((product, digest))
    return outcomes + await write(ctx, changed)


async def write(ctx: FlowContext, changed: Sequence[tuple[Product, str]]) -> list[ProductOutcome]:
    """Upsert ``(product, hash)`` pairs in the channel's batch size; an outcome per product."""
    outcomes: list[ProductOutcome] = []
    batch_size = ctx.channel.capabilities.product_batch_size

    async def upsert(batch: Sequence[tuple[Product, str]]) -> list[WriteResult]:
        return await ctx.channel.upsert_products([p for p, _ in batch])

    for batch, results in await map_batches(changed, batch_size, upsert):
        by_id = {r.external_id: r for r in results}
        for product, digest in batch:
            result = by_id.get(product.external_id) or WriteResult(
                external_id=product.external_id, error="the channel did not answer for this item"
            )
            outcomes.append(ProductOutcome(product, digest, result))
    return outcomes


def record(ctx: FlowContext, outcomes: Sequence[ProductOutcome]) -> Commit:
    """The writes that make ``outcomes`` durable: links, hashes, sync-log entries."""
    now = ctx.now()

    def commit(conn: sqlite3.Connection) -> None:
        ok_ids: list[str] = []
        new_skus: list[str] = []
        for out in outcomes:
            pid = out.product.external_id
            if out.result is None:
                ok_ids.append(pid)
                continue
            if not out.result.ok:
                synclog.add_error(conn, ctx.connection, FLOW, pid, out.result.error or "", now)
                conn.execute(
                    "INSERT INTO item_state (connection, entity, source_id, last_error,"
                    " refused_hash) VALUES (?, 'product', ?, ?, ?)"
                    " ON CONFLICT (connection, entity, source_id) DO UPDATE SET"
                    " last_error = excluded.last_error, refused_hash = excluded.refused_hash",
                    (ctx.connection, pid, out.result.error, out.hash),
                )
                continue
            ok_ids.append(pid)
            token = out.product.modified_at.isoformat() if out.product.modified_at else None
            conn.execute(
                "INSERT INTO item_state (connection, entity, source_id, hash, token, written_at,"
                " last_verified_at, last_error) VALUES (?, 'product', ?, ?, ?, ?, ?, NULL)"
                " ON CONFLICT (connection, entity, source_id) DO UPDATE SET hash = excluded.hash,"
                " token = excluded.token, written_at = excluded.written_at,"
                " last_verified_at = excluded.last_verified_at, last_error = NULL,"
                " refused_hash = NULL",
                (ctx.connection, pid, out.hash, token, now, now),
            )
            if out.result.remote_id:
                conn.execute(
                    "INSERT OR REPLACE INTO links (connection, entity, source_id, channel_id,"
                    " created_at) VALUES (?, 'product', ?, ?, ?)",
                    (ctx.connection, pid, out.result.remote_id, now),
                )
            for variant in out.product.variants:
                if variant.sku is None:
                    continue
                remote = f"{out.result.remote_id or pid}:{variant.sku}"
                inserted = keep_link(conn, ctx.connection, "variant", variant.sku, remote, now)
                if inserted:
                    new_skus.append(variant.sku)
        synclog.resolve(conn, ctx.connection, FLOW, ok_ids)
        if new_skus:
            from daemon.flows.stock import release_waiting_stock

            release_waiting_stock(ctx, conn, new_skus)

    return commit
