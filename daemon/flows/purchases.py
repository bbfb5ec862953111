"""Purchases flow (back office -> channel): the back office's orders, written to a channel that
keeps order history (SparkLayer's purchases), with their amendments and shipments.

The source must be an OrderSource and the channel a PurchaseTarget. Orders are pulled like any
other flow: by the source's order change cursor, or in audit mode (listing by id, only new or
changed orders forwarded) when it has none. Each order whose content hash differs from the one
last written is put whole (the channel's write is an idempotent upsert keyed by the back
office's order id, so a repeat after a crash or a lost answer replaces, never duplicates);
amendments and shipments change the hash and are written the same way. The order's customer
is named on the channel by its link (flows/customers.py); while the first customer pass is
still running, a page with an unlinked customer waits (a transient error, retried), after it
the purchase is written without one (the customer is refused, and says why in the sync log).
With the connection's ``orders.only_b2b`` an order not marked B2B is skipped. A refusal
is a sync-log error under ``purchases`` and is not retried until the order changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from syncwright.connectors.base import (
    ChangeQuery,
    CursorKind,
    ListQuery,
    OrderSource,
    Page,
)
from syncwright.connectors.errors import PermanentError, TransientError
from syncwright.connectors.history import PurchaseTarget
from syncwright.connectors.model import Order
from syncwright.daemon import synclog
from syncwright.daemon.flows import item_state
from syncwright.daemon.flows.context import Commit, FlowContext, fetch_in
from syncwright.daemon.flows.pull import PULLS, PullFlow

FLOW = "purchases"
ENTITY = "purchase"


def _source(ctx: FlowContext) -> OrderSource:
    if not isinstance(ctx.source, OrderSource):
        raise PermanentError(f"{ctx.source.kind} has no orders to send as purchases")
    return ctx.source


def _target(ctx: FlowContext) -> PurchaseTarget:
    if not isinstance(ctx.channel, PurchaseTarget):
        raise PermanentError(f"{ctx.channel.kind} keeps no order history (purchases)")
    return ctx.channel


async def _written_hashes(ctx: FlowContext, ids: Sequence[str]) -> dict[str, str]:
    rows = await fetch_in(
        ctx.store,
        "SELECT source_id, hash FROM item_state WHERE connection = ? AND entity = 'purchase'"
        " AND hash IS NOT NULL AND source_id IN",
        (ctx.connection,),
        ids,
    )
    return {row["source_id"]: row["hash"] for row in rows}


async def _customer_links(ctx: FlowContext, ids: Sequence[str]) -> dict[str, str]:
    rows = await fetch_in(
        ctx.store,
        "SELECT source_id, channel_id FROM links WHERE connection = ? AND entity = 'customer'"
        " AND source_id IN",
        (ctx.connection,),
        ids,
    )
    return {row["source_id"]: row["channel_id"] for row in rows}


async def push_purchases(ctx: FlowContext, orders: Sequence[Order]) -> Commit:
    """Write each order whose content changed; the commit records what was written."""
    latest = {o.external_id: o for o in orders}
    if ctx.settings.only_b2b_orders:
        latest = {k: o for k, o in latest.items() if o.b2b}
    done = await _written_hashes(ctx, list(latest))
    customers = await _customer_links(
        ctx, sorted({o.customer.external_id for o in latest.values()})
    )
    unlinked = {o.customer.external_id for o in latest.values()} - set(customers)
    if unlinked and await _first_customer_pass_running(ctx):
        raise TransientError(
            f"purchases wait for the first customer pass (customers {', '.join(sorted(unlinked))}"
            " are not on the channel yet)"
        )
    target = _target(ctx) if latest else None
    ok: list[tuple[str, str, str | None]] = []
    failed: list[tuple[str, str, str]] = []
    for oid, order in latest.items():
        digest = order.content_hash()
        if done.get(oid) == digest:
            continue
        assert target is not None
        try:
            await target.put_purchase(order, customer_id=customers.get(order.customer.external_id))
        except PermanentError as exc:
            failed.append((oid, f"order {oid}: {exc.message}", digest))
            continue
        token = order.modified_at.isoformat() if order.modified_at else None
        ok.append((oid, digest, token))
    now = ctx.now()

    def commit(conn: sqlite3.Connection) -> None:
        rows = [(oid, digest, token, now, now) for oid, digest, token in ok]
        item_state.written(conn, ctx.connection, ENTITY, rows)
        for oid, message, _ in failed:
            synclog.add_error(conn, ctx.connection, FLOW, oid, message, now)
        item_state.refused(conn, ctx.connection, ENTITY, failed)
        synclog.resolve(conn, ctx.connection, FLOW, [oid for oid, _, _ in ok])

    return commit


async def _first_customer_pass_running(ctx: FlowContext) -> bool:
    row = await ctx.store.fetchone(
        "SELECT 1 FROM jobs WHERE connection = ? AND kind = 'pull' AND state IN"
        " ('pending', 'leased') AND json_extract(payload, '$.flow') = 'customers'"
        " AND NOT EXISTS (SELECT 1 FROM cursors WHERE connection = ? AND flow = 'customers'"
        " AND value IS NOT NULL) LIMIT 1",
        (ctx.connection, ctx.connection),
    )
    return row is not None


async def _fetch(ctx: FlowContext, query: ChangeQuery) -> Page[Any]:
    return await _source(ctx).changed_orders(query)


async def _list(ctx: FlowContext, query: ListQuery) -> Page[Any]:
    return await _source(ctx).list_orders(query)


async def _apply(ctx: FlowContext, items: Sequence[Any]) -> Commit:
    return await push_purchases(ctx, items)


def _cursor(ctx: FlowContext) -> CursorKind:
    return ctx.source.capabilities.order_cursor


PULLS[FLOW] = PullFlow(FLOW, _fetch, _apply, _list, cursor_kind=_cursor)
