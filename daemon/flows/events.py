"""Change events: one class-2 job per changed item, which fetches the item as it is now.

A connector (or, later, the webhook server) turns a change notice into
``event_spec(entity, external_id, token)``. The job never trusts the notice's content: it
fetches the current item from the back office (a product and its stock: about two calls; a
stock row; a customer) and writes only what differs from what was last written, through the
same functions the pulls use. So a duplicate or late notice costs a read and no write.

Ordering: ``token`` is the item's change time (or version) the notice carries. If it is older
than the token of what we last wrote (item_state.token), the event is stale and nothing is
written; the same holds when the back office hands back an item older than what we wrote (a
lagging replica). Stock rows have no stored token: they are always read fresh and only
quantities that differ from the last pushed ones are written, so a stale notice cannot regress
them either. Pending events for one item share the dedup key ``event:<entity>:<id>`` and merge
into one job.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

import structlog

from syncwright.connectors.base import CustomerLookup
from syncwright.connectors.errors import PermanentError
from syncwright.daemon.flows import customers, products, stock
from syncwright.daemon.flows.context import Commit, FlowContext
from syncwright.daemon.flows.cursor import parse_time
from syncwright.daemon.jobs.job import Job, JobSpec

log = structlog.get_logger("syncwright.events")

ENTITIES = ("product", "stock", "customer")


def event_spec(entity: str, external_id: str, token: str | None = None, cls: int = 2) -> JobSpec:
    """The job for one change notice. ``external_id`` is the back office's id (a SKU, or
    "SKU|location", for stock); ``token`` the change time or version the notice carries."""
    if entity not in ENTITIES:
        raise ValueError(f"event entity must be one of {', '.join(ENTITIES)}, not {entity!r}")
    if entity == "stock":  # the job reads every location of the SKU: one job per SKU
        external_id = external_id.split("|", 1)[0]
    if not external_id:
        raise ValueError("an event needs the item's id")
    return JobSpec(
        kind="event",
        cls=cls,
        payload={"entity": entity, "id": external_id, "token": token},
        dedup_key=f"event:{entity}:{external_id}",
    )


async def handle_event(ctx: FlowContext, job: Job) -> Commit | None:
    entity = job.payload.get("entity")
    item = str(job.payload.get("id") or "")
    raw = job.payload.get("token")
    token = None if raw is None else str(raw)
    if entity == "product":
        return await _product(ctx, item, token)
    if entity == "stock":
        return await _stock(ctx, item)
    if entity == "customer":
        return await _customer(ctx, item, token)
    raise PermanentError(f"an event for {entity!r} items cannot be handled")


async def _product(ctx: FlowContext, item: str, token: str | None) -> Commit | None:
    product = await ctx.source.get_product(item)
    if product is None:
        log.info("event.gone", connection=ctx.connection, entity="product", id=item)
        return None
    stored = await _stored_token(ctx, "product", product.external_id)
    if _older(token, stored) or _older(_iso(product.modified_at), stored):
        log.info("event.stale", connection=ctx.connection, entity="product", id=item, token=token)
        return None
    outcomes = await products.push_products(ctx, [product])
    skus = [variant.sku for variant in product.variants if variant.sku]
    levels = await ctx.source.get_stock(skus) if skus else []
    apply_products = products.record(ctx, outcomes)
    apply_stock = stock.record(ctx, await stock.push_levels(ctx, levels))

    def commit(conn: sqlite3.Connection) -> None:
        apply_products(conn)  # first: links its variants, so stock parked here is released
        apply_stock(conn)

    return commit


async def _stock(ctx: FlowContext, sku: str) -> Commit:
    levels = await ctx.source.get_stock([sku])
    return stock.record(ctx, await stock.push_levels(ctx, levels))


async def _customer(ctx: FlowContext, item: str, token: str | None) -> Commit | None:
    if not isinstance(ctx.source, CustomerLookup):
        raise PermanentError(f"{ctx.source.kind} cannot fetch one customer for an event")
    customer = await ctx.source.get_customer(item)
    if customer is None:
        log.info("event.gone", connection=ctx.connection, entity="customer", id=item)
        return None
    stored = await _stored_token(ctx, "customer", customer.external_id)
    if _older(token, stored) or _older(_iso(customer.modified_at), stored):
        log.info("event.stale", connection=ctx.connection, entity="customer", id=item)
        return None
    return customers.record(ctx, await customers.push_customers(ctx, [customer]))


async def _stored_token(ctx: FlowContext, entity: str, item: str) -> str | None:
    row = await ctx.store.fetchone(
        "SELECT token FROM item_state WHERE connection = ? AND entity = ? AND source_id = ?",
        (ctx.connection, entity, item),
    )
    return None if row is None or row["token"] is None else str(row["token"])


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _older(token: str | None, than: str | None) -> bool:
    """True when ``token`` is known to be older than ``than`` (times, else versions)."""
    if token is None or than is None:
        return False
    try:
        return parse_time(token) < parse_time(than)
    except ValueError:
        pass
    if token.isdigit() and than.isdigit():
        return int(token) < int(than)
    return False  # cannot tell: fetching the current item keeps this safe anyway
