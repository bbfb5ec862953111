"""Dry-run plans: what a change pull of a connection would write, nothing written.

A plan walks each flow's next pass the way its ``pull`` jobs would (from the cursor, or the
whole listing in audit mode) through the daemon's own connectors, so its reads are charged to
the daemon's budgets like any other operator request (class 1). The flows' own decision code
runs (``push_products``, ``push_levels``, ``push_customers``, the orders pull's hash check)
against a ``DryChannel`` (flows/dry.py) that records the writes instead of making them; the
commits they return are dropped, so no cursor, link, item state, job or sync-log row changes,
and nothing is written to either system. Each updated product's channel copy is read once more
to name the changed fields (one extra read per page, counted with the rest).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from syncwright.connectors.base import ChangeQuery, ListQuery
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Customer, Order, Product, StockLevel
from syncwright.daemon.budget.gate import call_tally, current_class, land_unanswered
from syncwright.daemon.flows import audit, customers, products, stock
from syncwright.daemon.flows import cursor as cursors
from syncwright.daemon.flows.context import FlowContext, FlowMemory, fetch_in
from syncwright.daemon.flows.dry import DryChannel
from syncwright.daemon.flows.pull import PULLS
from syncwright.daemon.jobs.job import JobClass

#: At most this many entries per list in a plan (the counts are always complete).
SHOWN = 200
#: Fields that change with every edit and say nothing about content.
_NOISE = {"modified_at", "version", "external_id"}


@dataclass
class FlowPlan:
    """What one flow's pass would do."""

    flow: str
    mode: str  # "cursor" or "audit"
    pages: int = 0
    items_read: int = 0
    #: False when the walk stopped at the page limit: more of the pass is left unplanned.
    complete: bool = True
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    discontinues: list[str] = field(default_factory=list)
    stock: list[dict[str, Any]] = field(default_factory=list)
    parked: int = 0
    customers_created: list[str] = field(default_factory=list)
    customers_linked: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    orders_post: list[str] = field(default_factory=list)
    orders_amend: list[str] = field(default_factory=list)
    orders_skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"flow": self.flow, "mode": self.mode, "pages": self.pages}
        out |= {"items_read": self.items_read, "complete": self.complete, "parked": self.parked}
        for name in (
            "creates",
            "updates",
            "discontinues",
            "stock",
            "customers_created",
            "customers_linked",
            "errors",
            "orders_post",
            "orders_amend",
            "orders_skipped",
        ):
            values = getattr(self, name)
            out[name] = values[:SHOWN]
            out[name + "_count"] = len(values)
        return out


async def make_plan(
    base: FlowContext, flows: Sequence[str], *, max_pages: int, systems: tuple[str, str]
) -> dict[str, Any]:
    """Plan ``flows`` of ``base``'s connection; ``systems`` names (source, channel). The
    result holds each flow's plan and the calls charged per system for the reads made now
    (``calls_read``) and for the writes a sync would make (``calls_write``, one per request)."""
    dry = DryChannel(base.channel)
    ctx = replace(base, channel=dry, memory=FlowMemory())
    tally: dict[str, float] = {}
    tally_token = call_tally.set(tally)
    class_token = current_class.set(JobClass.MANUAL)
    plans: list[FlowPlan] = []
    try:
        for flow in flows:
            plans.append(await _plan_flow(ctx, dry, flow, max_pages))
    finally:
        land_unanswered()
        current_class.reset(class_token)
        call_tally.reset(tally_token)
    source, channel = systems
    orders = sum(len(p.orders_post) for p in plans)
    writes = {source: 0, channel: dry.write_calls}
    # An order's post is at least a look-up by its channel reference and the create.
    writes[source] += 2 * orders
    return {
        "flows": [p.as_dict() for p in plans],
        "calls_read": {name: round(n, 3) for name, n in sorted(tally.items())},
        "calls_write": writes,
        "writes_note": "one call per write request; an order's post counts its look-up and"
        " create (customers and products it needs cost more)",
    }


async def _plan_flow(ctx: FlowContext, dry: DryChannel, name: str, max_pages: int) -> FlowPlan:
    flow = PULLS.get(name)
    if flow is None:
        raise PermanentError(f"no change pull for flow {name!r}")
    kind = flow.cursor_kind(ctx)
    audit_mode = kind == "none" or ctx.settings.pull_mode == "audit"
    plan = FlowPlan(name, "audit" if audit_mode else "cursor")
    limit = min(ctx.settings.page_size, ctx.source.capabilities.max_page_size)
    seen: set[str] = set()
    if audit_mode:
        if flow.list_all is None:
            raise PermanentError(f"{name}: this flow cannot be listed, so it has no audit mode")
        after: str | None = None
        while True:
            page = await flow.list_all(ctx, ListQuery(after, limit))
            items = await _audit_changed(ctx, name, page.items, seen)
            await _plan_page(ctx, dry, plan, items, len(page.items))
            if page.complete or not page.items or page.last_key is None:
                break
            if plan.pages >= max_pages:
                plan.complete = False
                break
            after = page.last_key[1]
        if plan.complete and name in audit.DELETIONS:
            await _audit_gone(ctx, dry, plan, seen)
        return plan
    cur = await cursors.load(ctx.store, ctx.connection, name)
    if cur.in_pass:
        since, key = cur.pass_since, cur.pass_after
    else:
        since, key = cursors.start_of_pass(kind, cur.value, ctx.settings.overlap), None
    while True:
        page = await flow.fetch(ctx, ChangeQuery(since=since, after=key, limit=limit))
        await _plan_page(ctx, dry, plan, page.items, len(page.items))
        if page.complete or not page.items or page.last_key is None:
            break
        if plan.pages >= max_pages:
            plan.complete = False
            break
        key = page.last_key
    return plan


async def _audit_changed(
    ctx: FlowContext, flow: str, items: Sequence[Any], seen: set[str]
) -> list[Any]:
    """The items of an audit page that differ from the audit table (what the pass forwards)."""
    latest = {audit.item_key(item): item for item in items}
    seen.update(latest)
    rows = await fetch_in(
        ctx.store,
        "SELECT external_id, hash FROM audit WHERE connection = ? AND entity = ?"
        " AND external_id IN",
        (ctx.connection, flow),
        list(latest),
    )
    known = {row["external_id"]: row["hash"] for row in rows}
    return [item for k, item in latest.items() if known.get(k) != item.content_hash()]


async def _audit_gone(ctx: FlowContext, dry: DryChannel, plan: FlowPlan, seen: set[str]) -> None:
    """A completed listing: the products it no longer has would be written as discontinued."""
    rows = await ctx.store.fetchall(
        "SELECT external_id, record FROM audit WHERE connection = ? AND entity = ?"
        " AND record IS NOT NULL ORDER BY external_id",
        (ctx.connection, plan.flow),
    )
    gone = [row["record"] for row in rows if row["external_id"] not in seen]
    records = [
        Product.model_validate_json(raw).model_copy(update={"status": "discontinued"})
        for raw in gone
    ]
    if records:
        before = dry.write_calls
        outcomes = await products.push_products(ctx, records)
        written = [o.product.external_id for o in outcomes if o.result is not None and o.result.ok]
        plan.discontinues += [pid for pid in written if pid not in plan.discontinues]
        if not written:
            dry.write_calls = before


async def _plan_page(
    ctx: FlowContext, dry: DryChannel, plan: FlowPlan, items: Sequence[Any], read: int
) -> None:
    plan.pages += 1
    plan.items_read += read
    if not items:
        return
    if plan.flow == "products":
        await _plan_products(ctx, dry, plan, items)
    elif plan.flow == "stock":
        await _plan_stock(ctx, plan, items)
    elif plan.flow == "customers":
        await _plan_customers(ctx, plan, items)
    elif plan.flow == "orders":
        await _plan_orders(ctx, plan, items)
    else:  # a flow registered later without a planner: say so rather than guess
        raise PermanentError(f"the flow {plan.flow!r} cannot be planned yet")


async def _plan_products(
    ctx: FlowContext, dry: DryChannel, plan: FlowPlan, items: Sequence[Product]
) -> None:
    dry.upserted.clear()
    outcomes = await products.push_products(ctx, items)
    for out in outcomes:
        if out.result is not None and not out.result.ok:
            pid = out.product.external_id
            plan.errors.append({"item": pid, "error": f"held: {out.result.error}"})
    written = [o.product for o in outcomes if o.product.external_id in dry.upserted]
    ids = [p.external_id for p in written]
    rows = await fetch_in(
        ctx.store,
        "SELECT source_id FROM links WHERE connection = ? AND entity = 'product' AND source_id IN",
        (ctx.connection,),
        ids,
    )
    linked = {row["source_id"] for row in rows}
    copies = await dry.inner.read_products(sorted(linked)) if linked else {}
    for product in written:
        pid = product.external_id
        copy = copies.get(pid)
        if pid not in linked or copy is None:
            plan.creates.append({"item": pid, "title": product.title})
            continue
        if product.status == "discontinued" and copy.status != "discontinued":
            plan.discontinues.append(pid)
        plan.updates.append({"item": pid, "fields": changed_fields(copy, product)})


def changed_fields(old: Product, new: Product) -> list[str]:
    """The fields of ``new`` that differ from ``old``; a variant's as ``variants[SKU].field``."""
    before = old.model_dump(mode="json", exclude=_NOISE | {"variants"})
    after = new.model_dump(mode="json", exclude=_NOISE | {"variants"})
    fields = sorted(k for k in after.keys() | before.keys() if before.get(k) != after.get(k))
    old_v = {v.sku or v.external_id: v.model_dump(mode="json") for v in old.variants}
    new_v = {v.sku or v.external_id: v.model_dump(mode="json") for v in new.variants}
    for sku in sorted(old_v.keys() | new_v.keys()):
        if sku not in old_v:
            fields.append(f"variants[{sku}] (new)")
        elif sku not in new_v:
            fields.append(f"variants[{sku}] (removed)")
        else:
            a, b = old_v[sku], new_v[sku]
            # The channel's own variant id is not ours to compare.
            keys = sorted(k for k in a.keys() | b.keys() if k != "external_id")
            fields += [f"variants[{sku}].{k}" for k in keys if a.get(k) != b.get(k)]
    return fields


async def _plan_stock(ctx: FlowContext, plan: FlowPlan, items: Sequence[StockLevel]) -> None:
    outcomes = await stock.push_levels(ctx, items)
    skus = sorted({o.level.sku for o in outcomes})
    rows = await fetch_in(
        ctx.store,
        "SELECT sku, location, quantity FROM stock_state WHERE connection = ? AND sku IN",
        (ctx.connection,),
        skus,
    )
    last = {(r["sku"], r["location"]): r["quantity"] for r in rows}
    for out in outcomes:
        lvl = out.level
        if out.parked:
            plan.parked += 1
        elif out.result is not None:
            plan.stock.append(
                {
                    "sku": lvl.sku,
                    "location": lvl.location,
                    "from": last.get(lvl.key),
                    "to": lvl.quantity,
                }
            )


async def _plan_customers(ctx: FlowContext, plan: FlowPlan, items: Sequence[Customer]) -> None:
    for out in await customers.push_customers(ctx, items):
        cid = out.customer.external_id
        if out.action == "created":
            plan.customers_created.append(cid)
        elif out.action == "linked":
            plan.customers_linked.append({"item": cid, "channel_id": str(out.channel_id)})
        elif out.action == "failed":
            plan.errors.append({"item": cid, "error": out.error or "failed"})


async def _plan_orders(ctx: FlowContext, plan: FlowPlan, items: Sequence[Order]) -> None:
    """The orders pull's own test: a new or changed order gets a post (an amendment when the
    back office has it already), unless only B2B orders are posted."""
    latest = {order.external_id: order for order in items}
    ids = list(latest)
    rows = await fetch_in(
        ctx.store,
        "SELECT source_id, hash FROM item_state WHERE connection = ? AND entity = 'order'"
        " AND source_id IN",
        (ctx.connection,),
        ids,
    )
    seen = {row["source_id"]: row["hash"] for row in rows}
    posted = {
        row["channel_id"]
        for row in await fetch_in(
            ctx.store,
            "SELECT channel_id FROM links WHERE connection = ? AND entity = 'order'"
            " AND channel_id IN",
            (ctx.connection,),
            ids,
        )
    }
    for oid, order in latest.items():
        if seen.get(oid) == order.content_hash():
            continue
        if ctx.settings.only_b2b_orders and not order.b2b:
            plan.orders_skipped.append(oid)
        elif oid in posted:
            plan.orders_amend.append(oid)
        else:
            plan.orders_post.append(oid)
