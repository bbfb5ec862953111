"""Posting an order to the back office at most once and through its workflow, then its
amendments and shipments.

DESIGN.md rule 4. Before creating, the order is looked up by its channel reference; a create
the back office refuses as a duplicate (AlreadyPosted) links the existing order. The link
(links entity ``order``: back-office id <-> channel order id) is committed in its own write
right after the remote create, before anything else, so a crash can lose at most that link,
and the next attempt's look-up finds the order instead of posting it again.

Posting is a state machine over what the back office holds, not a create-or-found switch:
after the create (or the look-up, or the link) and any amendment, a back office with an
``OrderWorkflow`` (Tryton: draft -> quotation -> confirmed -> processing) is asked for one
step at a time from the state it holds, until no step is left. Every ``post_order`` job runs
this, so an order a crash left half-way (created but not confirmed, say) is finished by the
next attempt. Amendments come before the steps: a confirmed sale can no longer be changed.

Amendments: the hash of what the back office records of an order (lines, totals, status,
addresses) is kept as item_state entity ``order_posted``; when it differs, the order is
amended. Shipments follow the order rule: looked up in the back office first
(``ShipmentLookup``; one held already is linked, not added again), then added, then linked
(entity ``shipment``) in a durable write at once. A shipment the back office refuses is a
shipment error of a posted order (sync-log entry ``<order>/<shipment>`` and a notification
when new), never a failure of the post: the order stays posted and linked.

Test-only fault injection: when the environment variable ``SYNCWRIGHT_TEST_CRASH_AFTER`` names
a point, the process SIGKILLs itself there, like a power cut: ``order_created`` (after the back
office accepted a create, before the link is committed), ``order_<step>`` (after a workflow
step: ``order_quote``, ``order_confirm``, ``order_process``) and ``shipment_added`` (after the
back office took a shipment, before its link). tests/integration/test_orders.py and
tests/real/test_end_to_end.py use them. Never set it otherwise.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
from functools import partial

import structlog

from syncwright.connectors.base import AlreadyPosted, OrderTarget, OrderWorkflow, ShipmentLookup
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Order, Shipment, canonical_json
from syncwright.daemon import synclog
from syncwright.daemon.flows import item_state, sale
from syncwright.daemon.flows.context import FlowContext, fetch_in
from syncwright.daemon.flows.links import keep_link
from syncwright.daemon.notify import outbox as notify

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


async def advance(ctx: FlowContext, target: OrderTarget, order: Order, erp_id: str) -> list[str]:
    """Take the posted order through the back office's workflow, one step at a time from the
    state it holds; returns the steps taken (none when the back office has no workflow)."""
    if not isinstance(target, OrderWorkflow):
        return []
    steps: list[str] = []
    while (step := await target.advance_order(erp_id)) is not None:
        steps.append(step)
        crash_point(f"order_{step}")
        if len(steps) > 10:  # a back office whose workflow never ends: stop, say so
            raise PermanentError(
                f"order {order.external_id} (back-office id {erp_id}) took {len(steps)} "
                f"workflow steps and is still not finished: {', '.join(steps)}"
            )
    if steps:
        log.info(
            "order.advanced",
            connection=ctx.connection,
            order=order.external_id,
            back_office_id=erp_id,
            steps=steps,
        )
    return steps


async def add_new_shipments(
    ctx: FlowContext, target: OrderTarget, order: Order, erp_id: str
) -> int:
    """Add the shipments not added before, each looked up first and linked right after;
    returns how many were added or found. A refused one is recorded, and the rest go on."""
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
        try:
            how = await _add_once(target, erp_id, shipment)
        except PermanentError as exc:
            await _refused(ctx, order, erp_id, key, shipment, exc.message)
            continue
        link = (ctx.connection, f"{erp_id}/{shipment.external_id}", key, ctx.now())
        await ctx.store.write(partial(_link_shipment, link), durable=True)
        added += 1
        log.info(
            "order.shipment_added",
            connection=ctx.connection,
            order=order.external_id,
            shipment=shipment.external_id,
            back_office_id=erp_id,
            how=how,
        )
    return added


async def _add_once(target: OrderTarget, erp_id: str, shipment: Shipment) -> str:
    if isinstance(target, ShipmentLookup) and await target.has_shipment(
        erp_id, shipment.external_id
    ):
        return "found"
    await target.add_shipment(erp_id, shipment)
    crash_point("shipment_added")
    return "added"


async def _refused(
    ctx: FlowContext, order: Order, erp_id: str, key: str, shipment: Shipment, message: str
) -> None:
    """A shipment the back office refused: a sync-log error of the posted order's shipment
    (and a notification when it is new), tried again when the order changes."""
    subject = (
        f"order {order.external_id} is posted (back-office id {erp_id}), but its shipment "
        f"{shipment.external_id} was not added: {message}"
    )
    body = "\n".join(
        [
            subject,
            "",
            "The order itself is in the back office and stays linked; only this shipment is",
            "missing there. Record it by hand, or fix the cause: it is tried again the next",
            "time the order changes.",
        ]
    )
    now = ctx.now()

    def commit(conn: sqlite3.Connection) -> None:
        row = conn.execute(
            "SELECT message FROM sync_errors WHERE connection = ? AND flow = 'orders'"
            " AND external_id = ?",
            (ctx.connection, key),
        ).fetchone()
        synclog.add_error(conn, ctx.connection, "orders", key, subject, now)
        if row is None or row[0] != subject[:2000]:
            notify.add(conn, ctx.connection, "shipment_failed", subject, body, now)

    await ctx.store.write(commit)
    log.warning(
        "order.shipment_refused",
        connection=ctx.connection,
        order=order.external_id,
        shipment=shipment.external_id,
        back_office_id=erp_id,
        error=message,
    )


def _link_shipment(row: tuple[str, str, str, float], conn: sqlite3.Connection) -> None:
    keep_link(conn, row[0], "shipment", row[1], row[2], row[3])
    synclog.resolve(conn, row[0], "orders", [row[2]])


def shipment_key(order: Order, shipment_id: str) -> str:
    return f"{order.external_id}/{shipment_id}"
