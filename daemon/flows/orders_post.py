"""Posting an order to the back office at most once, then its amendments and shipments.

DESIGN.md rule 4. Before creating, the order is looked up by its channel reference; a create
the back office refuses as a duplicate (AlreadyPosted) links the existing order. The link
(links entity ``order``: back-office id <-> channel order id) is committed in its own write
right after the remote create, before anything else, so a crash can lose at most that link,
and the next attempt's look-up finds the order instead of posting it again.

Amendments: the hash of what the back office records of an order (lines, totals, status,
addresses) is kept as item_state entity ``order_posted``; when it differs, the order is
amended. Shipments are added one by one, each linked (entity ``shipment``) right after.

Test-only fault injection: when the environment variable ``SYNCWRIGHT_TEST_CRASH_AFTER`` is
``order_created``, the process SIGKILLs itself right after the back office accepted a create
and before the link is committed (tests/integration/test_orders.py). Never set it otherwise.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
from functools import partial

import structlog

from syncwright.connectors.base import AlreadyPosted, OrderTarget
from syncwright.connectors.model import Order, canonical_json
from syncwright.daemon.flows import item_state, sale
from syncwright.daemon.flows.context import FlowContext, fetch_in
from syncwright.daemon.flows.links import keep_link

log = structlog.get_logger("syncwright.orders")

CRASH_ENV = "SYNCWRIGHT_TEST_CRASH_AFTER"
#: What an amendment carries; the rest of an order (customer, shipments) is handled apart.
AMENDED_FIELDS = frozenset({"lines", "currency", "total", "status", "b2b", "shipping_address"})


def crash_point(name: str) -> None:
    """Test-only: die here, like a power cut, when SYNCWRIGHT_TEST_CRASH_AFTER names ``name``."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def channel_ref(ctx: FlowContext, order: Order) -> str:
    """The reference an order is posted under: unique per channel system, stable across
    restarts and renamed connections (the back office's unique key is what stops a repeat)."""
    prefix = ctx.settings.channel_name
    return f"{prefix}:{order.external_id}" if prefix else order.external_id


def amend_hash(order: Order) -> str:
    data = order.model_dump(mode="json", include=set(AMENDED_FIELDS))
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


async def linked_order(ctx: FlowContext, order_id: str) -> tuple[str, str | None] | None:
    """(back-office id, hash of what it holds) of a posted order, or None if not posted."""
    row = await ctx.store.fetchone(
        "SELECT l.source_id, s.hash FROM links l LEFT JOIN item_state s"
        " ON s.connection = l.connection AND s.entity = 'order_posted' AND s.source_id = ?"
        " WHERE l.connection = ? AND l.entity = 'order' AND l.channel_id = ?",
        (order_id, ctx.connection, order_id),
    )
    return None if row is None else (str(row["source_id"]), row["hash"])


async def post_once(
    ctx: FlowContext, target: OrderTarget, order: Order, customer_id: str
) -> tuple[str, str | None]:
    """Create the order unless the back office has it; link it at once. Returns (back-office
    id, hash of what it holds: None when the order was there already, content unknown)."""
    ref = channel_ref(ctx, order)
    digest: str | None = None
    existing = await target.find_order(ref)
    how = "found"
    if existing is None:
        try:
            existing = await target.create_order(order, customer_id=customer_id, channel_ref=ref)
            digest, how = amend_hash(order), "created"
            crash_point("order_created")
        except AlreadyPosted as dup:
            existing, how = dup.existing_id, "already_posted"
    now = ctx.now()
    erp_id = existing
    await ctx.store.write(
        lambda conn: _link_order(conn, ctx, erp_id, order, digest, now), durable=True
    )
    log.info(
        "order.posted",
        connection=ctx.connection,
        order=order.external_id,
        channel_ref=ref,
        back_office_id=erp_id,
        how=how,
    )
    return erp_id, digest


def _link_order(
    conn: sqlite3.Connection,
    ctx: FlowContext,
    erp_id: str,
    order: Order,
    digest: str | None,
    now: float,
) -> None:
    keep_link(conn, ctx.connection, "order", erp_id, order.external_id, now)
    _save_posted(conn, ctx.connection, order, digest, now)


def _save_posted(
    conn: sqlite3.Connection, connection: str, order: Order, digest: str | None, now: float
) -> None:
    token = order.modified_at.isoformat() if order.modified_at else None
    posted = (order.external_id, digest, token, now, now)
    item_state.written(conn, connection, "order_posted", [posted])


async def amend_if_changed(
    ctx: FlowContext, target: OrderTarget, order: Order, erp_id: str, held: str | None
) -> bool:
    """Amend the back office's order when what it holds differs from the channel's."""
    digest = amend_hash(order)
    if digest == held:
        return False
    await sale.ensure_products(ctx, target, order)  # an amendment may add a new SKU
    await target.amend_order(erp_id, order)
    now = ctx.now()
    await ctx.store.write(lambda conn: _save_posted(conn, ctx.connection, order, digest, now))
    log.info(
        "order.amended", connection=ctx.connection, order=order.external_id, back_office_id=erp_id
    )
    return True


async def add_new_shipments(
    ctx: FlowContext, target: OrderTarget, order: Order, erp_id: str
) -> int:
    """Add the shipments not added before, each linked right after; returns how many."""
    keys = {shipment_key(order, s.external_id): s for s in order.shipments}
    rows = await fetch_in(
        ctx.store,
        "SELECT channel_id FROM links WHERE connection = ? AND entity = 'shipment'"
        " AND channel_id IN",
        (ctx.connection,),
        list(keys),
    )
    done = {row["channel_id"] for row in rows}
    added = 0
    for key, shipment in keys.items():
        if key in done:
            continue
        await target.add_shipment(erp_id, shipment)
        link = (ctx.connection, f"{erp_id}/{shipment.external_id}", key, ctx.now())
        await ctx.store.write(partial(_link_shipment, link), durable=True)
        added += 1
        log.info(
            "order.shipment_added",
            connection=ctx.connection,
            order=order.external_id,
            shipment=shipment.external_id,
            back_office_id=erp_id,
        )
    return added


def _link_shipment(row: tuple[str, str, str, float], conn: sqlite3.Connection) -> None:
    keep_link(conn, row[0], "shipment", row[1], row[2], row[3])


def shipment_key(order: Order, shipment_id: str) -> str:
    return f"{order.external_id}/{shipment_id}"
