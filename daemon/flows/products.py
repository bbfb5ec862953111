"""Products flow: write changed products to the channel, only when their content hash changed.

A product is written when its canonical hash differs from the hash of what we last wrote (so
the pull overlap and repeated events cost no writes). Successful writes record the link and
the hash; refused items become sync-log errors; newly linked SKUs release stock that waited.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from syncwright.connectors.model import Product, WriteResult
from syncwright.daemon import synclog
from syncwright.daemon.flows import item_state
from syncwright.daemon.flows.context import Commit, FlowContext, fetch_in, map_batches
from syncwright.daemon.flows.links import keep_links, replace_links

FLOW = "products"


@dataclass(frozen=True, slots=True)
class ProductOutcome:
    product: Product
    hash: str
    result: WriteResult | None  # None: unchanged, nothing written


async def last_states(
    ctx: FlowContext, ids: Sequence[str]
) -> tuple[dict[str, str | None], dict[str, tuple[str, str]]]:
    """For ``ids``: the hash last written, and (refused hash, error) of items whose last
    version the channel refused; one read."""
    rows = await fetch_in(
        ctx.store,
        "SELECT source_id, hash, refused_hash, last_error FROM item_state WHERE connection = ?"
        " AND entity = 'product' AND source_id IN",
        (ctx.connection,),
        ids,
    )
    known = {r["source_id"]: r["hash"] for r in rows}
    refused = {
        r["source_id"]: (r["refused_hash"], r["last_error"] or "refused")
        for r in rows
        if r["refused_hash"] is not None
    }
    return known, refused


async def push_products(ctx: FlowContext, products: Sequence[Product]) -> list[ProductOutcome]:
    """Write the products whose content changed; returns an outcome per product. A version the
    channel refused before is not offered again (its error stays open) until it changes."""
    latest: dict[str, Product] = {}
    for product in products:  # an item edited while paging can appear twice: keep the last
        latest[product.external_id] = product
    known, refused = await last_states(ctx, list(latest))
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


Batches = list[tuple[Sequence[tuple[Product, str]], list[WriteResult]]]


async def write(ctx: FlowContext, changed: Sequence[tuple[Product, str]]) -> list[ProductOutcome]:
    """Upsert ``(product, hash)`` pairs in the channel's batch size; an outcome per product.
    When a batch fails (its budget refused it, the server erred), the batches written before
    are recorded at once: the job's retry finds their hashes and does not write them again."""
    batch_size = ctx.channel.capabilities.product_batch_size

    async def upsert(batch: Sequence[tuple[Product, str]]) -> list[WriteResult]:
        return await ctx.channel.upsert_products([p for p, _ in batch])

    async def keep(done: Batches) -> None:
        await ctx.store.write(record(ctx, _outcomes(done)))

    return _outcomes(await map_batches(changed, batch_size, upsert, keep))


def _outcomes(batches: Batches) -> list[ProductOutcome]:
    outcomes: list[ProductOutcome] = []
    for batch, results in batches:
        by_id = {r.external_id: r for r in results}
        for product, digest in batch:
            result = by_id.get(product.external_id) or WriteResult(
                external_id=product.external_id, error="the channel did not answer for this item"
            )
            outcomes.append(ProductOutcome(product, digest, result))
    return outcomes


def read_mark(product: Product) -> tuple[str, str | None]:
    """What :func:`item_state.read_at_source` records of a product read: its id and token."""
    token = product.modified_at.isoformat() if product.modified_at else None
    return product.external_id, token


def record(ctx: FlowContext, outcomes: Sequence[ProductOutcome]) -> Commit:
    """The writes that make ``outcomes`` durable: links, hashes, sync-log entries. Rows go in
    with one ``executemany`` per statement: a page is a thousand items."""
    now = ctx.now()
    cn = ctx.connection

    def commit(conn: sqlite3.Connection) -> None:
        ok_ids: list[str] = []
        written: list[item_state.Written] = []
        refused: list[item_state.Refused] = []
        links: list[tuple[str, str]] = []
        variants: dict[str, str] = {}  # SKU -> channel id of the variant
        for out in outcomes:
            pid = out.product.external_id
            if out.result is None:
                ok_ids.append(pid)
                continue
            if not out.result.ok:
                synclog.add_error(conn, cn, FLOW, pid, out.result.error or "", now)
                refused.append((pid, out.result.error, out.hash))
                continue
            ok_ids.append(pid)
            token = out.product.modified_at.isoformat() if out.product.modified_at else None
            written.append((pid, out.hash, token, now, now))
            if out.result.remote_id:
                links.append((pid, out.result.remote_id))
            for variant in out.product.variants:
                if variant.sku is not None and variant.sku not in variants:
                    variants[variant.sku] = f"{out.result.remote_id or pid}:{variant.sku}"
        item_state.refused(conn, cn, "product", refused)
        item_state.written(conn, cn, "product", written)
        item_state.read_at_source(
            conn, cn, "product", [read_mark(out.product) for out in outcomes], now
        )
        replace_links(conn, cn, "product", links, now)
        new_skus = keep_links(conn, cn, "variant", variants, now)
        synclog.resolve(conn, cn, FLOW, ok_ids)
        if new_skus:
            from syncwright.daemon.flows.stock import release_waiting_stock

            release_waiting_stock(ctx, conn, new_skus)

    return commit
