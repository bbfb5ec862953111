"""Operator requests: sync one item now, and run a smart sync now (both class 1).

A manual item sync costs about two source calls, the item and its stock, plus a read of what
the channel holds, and writes only what differs (so it also repairs drift on the channel).
"Smart sync now" queues the connection's change pulls at class 1: a pull already pending
absorbs the request and is lifted to class 1, so nothing runs twice. Only that page is lifted:
the pages after it run at the flow's own class (daemon/flows/pull.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from syncwright.connectors.errors import PermanentError
from syncwright.daemon.flows import verify
from syncwright.daemon.flows.context import Commit, FlowContext
from syncwright.daemon.flows.pull import PULLS, pull_spec
from syncwright.daemon.jobs.job import Job, JobSpec

MANUAL_CLASS = 1
ITEM_FLOWS = ("products", "stock")


def sync_item_spec(flow: str, id_or_sku: str, *, stock: bool = True) -> JobSpec:
    """``flow`` "products": a product by id or SKU, with its stock unless ``stock`` is False;
    ``flow`` "stock": the levels of one SKU."""
    if flow not in ITEM_FLOWS:
        raise ValueError(f"an item sync is for {' or '.join(ITEM_FLOWS)}, not {flow!r}")
    if not id_or_sku.strip():
        raise ValueError("an item sync needs an id or SKU")
    return JobSpec(
        kind="sync_item",
        cls=MANUAL_CLASS,
        payload={"flow": flow, "id_or_sku": id_or_sku.strip(), "stock": stock},
        dedup_key=f"sync_item:{flow}:{id_or_sku.strip()}",
    )


def sync_now_specs(flows: Sequence[str]) -> list[JobSpec]:
    # Lifted to class 1, never put below a flow's own class (the orders pull is class 0).
    return [pull_spec(flow, min(MANUAL_CLASS, PULLS[flow].cls)) for flow in flows if flow in PULLS]


def not_found(ctx: FlowContext, job: Job, message: str) -> Commit:
    """A mistyped id or SKU is not a failure to retry or keep for weeks: the job ends done,
    noting ``not_found`` (the ``sync_item`` command reports it), and nothing goes dead."""

    def commit(conn: sqlite3.Connection) -> None:
        ctx.queue.note_in(conn, job, {"not_found": message})

    return commit


async def sync_item(ctx: FlowContext, job: Job) -> Commit:
    flow, key = str(job.payload.get("flow")), str(job.payload.get("id_or_sku", ""))
    commits: list[Commit] = []
    if flow == "products":
        product = await ctx.source.get_product(key)
        if product is None:
            return not_found(ctx, job, f"the back office has no product with id or SKU {key!r}")
        commits.append((await verify.repair_products(ctx, [product]))[0])
        skus = [v.sku for v in product.variants if v.sku] if job.payload.get("stock", True) else []
    elif flow == "stock":
        skus = [key]
    else:
        raise PermanentError(f"item sync: unknown flow {flow!r}; use products or stock")
    if skus:
        levels = await ctx.source.get_stock(skus)
        if not levels and flow == "stock":
            return not_found(ctx, job, f"the back office has no stock for SKU {key!r}")
        commits.append((await verify.repair_stock(ctx, levels))[0])

    def commit(conn: sqlite3.Connection) -> None:
        for apply in commits:
            apply(conn)

    return commit
