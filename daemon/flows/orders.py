"""Orders flow: channel orders into the back office, as class-0 (sale) jobs.

The ``orders`` pull (class 0, admitted on the channel's budget alone) reads the channel's
changed orders (cursor mode when the channel declares ``order_cursor``, audit mode otherwise)
and posts nothing itself: for each new or changed order (its content hash against item_state
entity ``order``) it enqueues, in the pull's own transaction, a ``post_order`` job (dedup key
``order:<id>``). Orders the connection does not
forward (``[connections.X.orders] only_b2b``) are recorded and skipped.

A ``post_order`` job fetches the order fresh from the channel (an older event never overwrites
newer data), links or creates its customer and missing products (flows/sale.py), posts it at
most once, then amends it and adds new shipments (flows/orders_post.py). Jobs for one order
never run at the same time. A job that goes dead, and a customer that matches several accounts,
leave a sync-log error and a notification (daemon/notify/outbox.py) in the same transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
import structlog

from syncwright.connectors.base import (
    ChangeQuery,
    CursorKind,
    CustomerDirectory,
    ListQuery,
    OrderSource,
    OrderTarget,
    Page,
)
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Order
from syncwright.daemon import synclog
from syncwright.daemon.flows import item_state, orders_post, sale
from syncwright.daemon.flows.context import Commit, FlowContext, fetch_in
from syncwright.daemon.flows.pull import PULLS, PullFlow
from syncwright.daemon.jobs.job import Job, JobClass, JobSpec
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.jobs.retry import ErrorKind, RetryDecision
from syncwright.daemon.notify import outbox as notify

log = structlog.get_logger("syncwright.orders")

FLOW = "orders"
KIND = "post_order"


def post_order_spec(order_id: str) -> JobSpec:
    return JobSpec(
        kind=KIND, cls=0, payload={"flow": FLOW, "order": order_id}, dedup_key=f"order:{order_id}"
    )


# -- the pull ---------------------------------------------------------------------------------


def _source(ctx: FlowContext) -> OrderSource:
    if not isinstance(ctx.channel, OrderSource):
        raise PermanentError(f"channel kind {ctx.channel.kind} has no orders to pull")
    return ctx.channel


def _cursor_kind(ctx: FlowContext) -> CursorKind:
    return ctx.channel.capabilities.order_cursor


async def _fetch(ctx: FlowContext, query: ChangeQuery) -> Page[Any]:
    return await _source(ctx).changed_orders(query)


async def _list(ctx: FlowContext, query: ListQuery) -> Page[Any]:
    return await _source(ctx).list_orders(query)


async def _apply(ctx: FlowContext, items: Sequence[Any]) -> Commit:
    """Queue a post for every new or changed order; remember each order's hash."""
    latest: dict[str, Order] = {order.external_id: order for order in items}
    rows = await fetch_in(
        ctx.store,
        "SELECT source_id, hash FROM item_state WHERE connection = ? AND entity = 'order'"
        " AND source_id IN",
        (ctx.connection,),
        list(latest),
    )
    seen = {row["source_id"]: row["hash"] for row in rows}
    changed = [(o, o.content_hash()) for o in latest.values()]
    changed = [(o, digest) for o, digest in changed if seen.get(o.external_id) != digest]
    only_b2b = ctx.settings.only_b2b_orders
    skipped = [o.external_id for o, _ in changed if only_b2b and not o.b2b]
    if skipped:
        log.info("order.skipped", connection=ctx.connection, orders=skipped, reason="only_b2b")

    def commit(conn: sqlite3.Connection) -> None:
        for order, digest in changed:
            if order.external_id not in skipped:
                ctx.queue.enqueue_in(conn, ctx.connection, post_order_spec(order.external_id))
            token = order.modified_at.isoformat() if order.modified_at else None
            note = "skipped: not a B2B order (only_b2b)" if order.external_id in skipped else None
            item_state.seen(
                conn, ctx.connection, "order", [(order.external_id, digest, token, note)]
            )

    return commit


#: Pulling new orders is sale-time work (class 0) and calls the channel alone: it runs in the
#: slot kept for class 0 and is admitted on the channel's budget only, so order intake never
#: waits for the back office's share of a window.
PULLS[FLOW] = PullFlow(
    FLOW,
    _fetch,
    _apply,
    list_all=_list,
    cursor_kind=_cursor_kind,
    cls=JobClass.SALE,
    reads="channel",
)


# -- the post_order job -----------------------------------------------------------------------


@asynccontextmanager
async def _one_at_a_time(ctx: FlowContext, order_id: str) -> AsyncIterator[None]:
    """Jobs for one order run one after the other (a pending twin may be leased while the
    first still runs); the locks of idle orders are dropped. The locks are the daemon's
    (ctx.memory)."""
    locks = ctx.memory.order_locks
    key = (ctx.connection, order_id)
    lock = locks.setdefault(key, anyio.Lock())
    try:
        async with lock:
            yield
    finally:
        if not lock.locked() and lock.statistics().tasks_waiting == 0:
            locks.pop(key, None)


def _target(ctx: FlowContext) -> tuple[OrderTarget, CustomerDirectory]:
    source = ctx.source
    if not isinstance(source, OrderTarget) or not isinstance(source, CustomerDirectory):
        raise PermanentError(
            f"back-office kind {source.kind} cannot take orders (no order or customer API)"
        )
    return source, source


async def post_order(ctx: FlowContext, job: Job) -> Commit | None:
    order_id = str(job.payload.get("order") or "")
    if not order_id:
        raise PermanentError(f"{KIND} job {job.id} names no order")
    async with _one_at_a_time(ctx, order_id):
        return await _post(ctx, order_id)


async def _post(ctx: FlowContext, order_id: str) -> Commit | None:
    order = await _source(ctx).get_order(order_id)
    olog = log.bind(connection=ctx.connection, order=order_id)
    if order is None:
        olog.warning("order.gone", reason="the channel no longer has this order")
        return None
    try:
        return await _post_order(ctx, order_id, order, olog)
    except PermanentError:  # a line SKU renamed in the back office since? (see sale.py)
        followed = await sale.follow_renamed_skus(ctx, order)
        if followed is None:
            raise
    return await _post_order(ctx, order_id, followed, olog)


async def _post_order(ctx: FlowContext, order_id: str, order: Order, olog: Any) -> Commit | None:
    target, directory = _target(ctx)
    posted = await orders_post.linked_order(ctx, order_id)
    if posted is None:
        reason = _not_forwarded(ctx, order)
        if reason is not None:
            olog.info("order.skipped", reason=reason)
            return None
        try:
            customer_id = await sale.ensure_customer(ctx, directory, order)
        except sale.AmbiguousCustomer as exc:
            olog.warning("order.customer_ambiguous", error=str(exc), candidates=exc.candidates)
            return _problem(ctx, order_id, "customer_ambiguous", str(exc))
        await sale.ensure_products(ctx, target, order)
        posted = await orders_post.post_once(ctx, target, order, customer_id)
    erp_id, held = posted
    await orders_post.amend_if_changed(ctx, target, order, erp_id, held)
    await orders_post.advance(ctx, target, order, erp_id)
    await orders_post.add_new_shipments(ctx, target, order, erp_id)

    def commit(conn: sqlite3.Connection) -> None:
        synclog.resolve(conn, ctx.connection, FLOW, [order_id])

    return commit


def requeue_waiting(
    conn: sqlite3.Connection, queue: Queue, connection: str, channel_customer: str
) -> list[str]:
    """Inside a write: queue a post again for every order refused because its customer (the
    channel's id ``channel_customer``) was ambiguous; a person has just linked it. Returns
    the order ids."""
    rows = conn.execute(
        "SELECT external_id FROM sync_errors WHERE connection = ? AND flow = ?"
        " AND instr(message, ?) > 0",
        (connection, FLOW, sale.waiting_mark(channel_customer)),
    ).fetchall()
    orders = [str(row[0]) for row in rows]
    for order_id in orders:
        queue.enqueue_in(conn, connection, post_order_spec(order_id))
    return orders


def _not_forwarded(ctx: FlowContext, order: Order) -> str | None:
    if ctx.settings.only_b2b_orders and not order.b2b:
        return "only_b2b: not a B2B order"
    if order.status == "cancelled":
        return "cancelled before it was posted"
    return None


def _problem(ctx: FlowContext, order_id: str, kind: str, message: str) -> Commit:
    """A sync-log error for the order; a notification when the problem is new (an order seen
    again with the same problem does not mail again)."""
    now = ctx.now()
    subject = f"order {order_id} was not posted: {message}"

    def commit(conn: sqlite3.Connection) -> None:
        record_problem(conn, ctx.connection, order_id, kind, subject, message, now)

    return commit


def record_problem(
    conn: sqlite3.Connection,
    connection: str,
    order_id: str,
    kind: str,
    subject: str,
    body: str,
    now: float,
) -> None:
    row = conn.execute(
        "SELECT message FROM sync_errors WHERE connection = ? AND flow = ? AND external_id = ?",
        (connection, FLOW, order_id),
    ).fetchone()
    synclog.add_error(conn, connection, FLOW, order_id, subject, now)
    if row is None or row[0] != subject[:2000]:
        notify.add(conn, connection, kind, subject, body, now)


def post_failed(
    job: Job, decision: RetryDecision, error_kind: str, message: str, now: float
) -> Commit | None:
    """The actor's failure hook for post_order: a job gone dead leaves a sync-log error and a
    notification, written with the job's own failure. So does a retry for a state a person may
    fix (an inactive product): once per distinct message, while the job keeps retrying. An
    order linked before the failure is in the back office: then what failed is a later step
    (its workflow, an amendment), and the mail says so instead of "not posted"."""
    order_id = str(job.payload.get("order") or f"(job {job.id})")
    if decision.action == "retry" and error_kind == ErrorKind.FIXABLE.value:
        waiting = f"order {order_id} is waiting: {message}"
        body = "\n".join([message, "", decision.reason])

        def remind(conn: sqlite3.Connection) -> None:
            record_problem(conn, job.connection, order_id, "order_waiting", waiting, body, now)

        return remind
    if decision.action != "dead":
        return None
    if error_kind == "orphaned":  # a poison pill (daemon/jobs/requeue.py)
        what = [
            f"The daemon stopped while posting order {order_id} too often to try again by",
            f"itself ({message}; attempt {job.attempts}).",
            "The order may have reached the back office before the last stop; a retry looks",
            "it up by the channel's order reference first, so it is never posted twice.",
        ]
    else:
        what = [f"({error_kind} error, attempt {job.attempts}):", message, "", decision.reason]
    tail = f"The job ({KIND} #{job.id}) is dead: fix the cause, then retry it."

    def commit(conn: sqlite3.Connection) -> None:
        posted = conn.execute(
            "SELECT source_id FROM links WHERE connection = ? AND entity = 'order'"
            " AND channel_id = ?",
            (job.connection, order_id),
        ).fetchone()
        if posted is None:
            subject = f"order {order_id} was not posted: {message}"
            head = f"The back office did not take order {order_id}"
        else:
            subject = (
                f"order {order_id} is posted (back-office id {posted[0]}), but finishing it "
                f"failed: {message}"
            )
            head = f"Order {order_id} is in the back office, but a later step failed"
        lines = what if error_kind == "orphaned" else [f"{head} {what[0]}", *what[1:]]
        body = "\n".join([*lines, tail])
        synclog.add_error(conn, job.connection, FLOW, order_id, subject, now)
        notify.add(conn, job.connection, "order_failed", subject, body, now)

    return commit
