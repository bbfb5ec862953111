"""Customers flow (back office -> channel): link by e-mail or account id, create when absent.

A customer already linked is never written again: the channel's copy belongs to the channel
(DESIGN.md rule 5); seeing it only records that it was verified. A connection may allow
otherwise (``[connections.X.customers] update_linked``, for a channel that takes whole
customers, a CustomerWriter such as SparkLayer): a linked customer whose content hash differs
from the one last written is then written again, whole, under its channel id.

An unlinked customer is looked up on the channel by e-mail or accounting id: one match is
linked, none is created there and linked, several are an error in the sync log naming them all,
never a guess. A match that is already linked to another back-office customer is an error too.
Two back-office customers that share an e-mail (and no account id tells them apart) are an
error on both before any look-up on the channel: no flow links either (neither does the
sale-time link, flows/sale.py) until a person does (``syncwright link``). Refusals from the
channel ("address line 1 is empty") are per-item errors; an item whose error is still open is
not tried again until its content changes.

Creating before linking is safe to repeat: a job that dies after a create finds the customer on
its next attempt by the same e-mail or accounting id, and links it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from syncwright.connectors.base import (
    ChangeQuery,
    CustomerDirectory,
    CustomerSource,
    CustomerWriter,
    ListQuery,
    Page,
)
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Customer
from syncwright.daemon import synclog
from syncwright.daemon.flows import item_state
from syncwright.daemon.flows.context import Commit, FlowContext, fetch_in
from syncwright.daemon.flows.links import keep_link
from syncwright.daemon.flows.pull import PULLS, PullFlow

FLOW = "customers"
ENTITY = "customer"

Action = Literal["verified", "updated", "linked", "created", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class CustomerOutcome:
    customer: Customer
    hash: str
    #: verified: linked before, left alone; updated: linked before and written again (only
    #: with the connection's ``customers.update_linked``); linked: matched one channel
    #: customer; created: made on the channel; failed: ``error`` says why; skipped: same
    #: content, its error still open.
    action: Action
    channel_id: str | None = None
    error: str | None = None


def source_of(ctx: FlowContext) -> CustomerSource:
    if not isinstance(ctx.source, CustomerSource):
        raise PermanentError(f"{ctx.source.kind} has no customers to pull")
    return ctx.source


def directory_of(ctx: FlowContext) -> CustomerDirectory:
    if not isinstance(ctx.channel, CustomerDirectory):
        raise PermanentError(f"{ctx.channel.kind} cannot look up or create customers")
    return ctx.channel


async def push_customers(ctx: FlowContext, customers: Sequence[Customer]) -> list[CustomerOutcome]:
    """Link or create each customer that is not linked yet; returns an outcome per customer."""
    latest: dict[str, Customer] = {}
    for customer in customers:  # an item edited while paging can appear twice: keep the last
        latest[customer.external_id] = customer
    wanted = set(latest) | {c.parent_external_id for c in latest.values() if c.parent_external_id}
    links = await _links(ctx, sorted(wanted))
    failed = await _failed_hashes(ctx, [i for i in latest if i not in links])
    directory = directory_of(ctx) if len(links) < len(latest) else None
    claimed: dict[str, str] = {}  # channel id -> back-office id, linked in this batch
    outcomes: list[CustomerOutcome] = []
    written = await _written_hashes(ctx, list(links)) if _updates(ctx) else {}
    for customer in _parents_first(latest):
        cid, digest = customer.external_id, customer.content_hash()
        if cid in links and cid in written and written[cid] != digest:
            outcomes.append(await _update(ctx, customer, digest, links))
        elif cid in links:
            outcomes.append(CustomerOutcome(customer, digest, "verified", links[cid]))
        elif failed.get(cid) == digest and not _parent_arrived(customer, links):
            outcomes.append(CustomerOutcome(customer, digest, "skipped"))
        else:
            assert directory is not None
            out = await _link_or_create(ctx, directory, customer, digest, links, claimed)
            if out.channel_id is not None and out.action != "failed":
                links[cid], claimed[out.channel_id] = out.channel_id, cid
            outcomes.append(out)
    return outcomes


def _updates(ctx: FlowContext) -> bool:
    return ctx.settings.update_linked_customers and isinstance(ctx.channel, CustomerWriter)


async def _update(
    ctx: FlowContext, customer: Customer, digest: str, links: dict[str, str]
) -> CustomerOutcome:
    """Write a linked customer that changed, whole, under its channel id (update policy on)."""
    assert isinstance(ctx.channel, CustomerWriter)
    cid = customer.external_id
    parent = customer.parent_external_id
    outgoing = customer.model_copy(
        update={"external_id": links[cid], "parent_external_id": links.get(parent or "")}
    )
    try:
        await ctx.channel.put_customer(outgoing)
    except PermanentError as exc:
        return CustomerOutcome(customer, digest, "failed", error=f"customer {cid}: {exc.message}")
    return CustomerOutcome(customer, digest, "updated", links[cid])


async def _written_hashes(ctx: FlowContext, ids: Sequence[str]) -> dict[str, str]:
    rows = await fetch_in(
        ctx.store,
        "SELECT source_id, hash FROM item_state WHERE connection = ? AND entity = 'customer'"
        " AND hash IS NOT NULL AND source_id IN",
        (ctx.connection,),
        ids,
    )
    return {row["source_id"]: row["hash"] for row in rows}


async def _link_or_create(
    ctx: FlowContext,
    directory: CustomerDirectory,
    customer: Customer,
    digest: str,
    links: dict[str, str],
    claimed: dict[str, str],
) -> CustomerOutcome:
    cid = customer.external_id
    side = ctx.channel.kind

    def fail(message: str) -> CustomerOutcome:
        return CustomerOutcome(customer, digest, "failed", error=message)

    if not customer.email and not customer.accounting_id:
        return fail(f"customer {cid} has no e-mail")
    twins = await _twins(ctx, customer)
    if twins:
        names = ", ".join(twins)
        return fail(
            f"customer {cid} shares e-mail {customer.email} with back-office customer(s) "
            f"{names}; no flow links either to a {side} customer (that would be a guess). "
            f"Give them different e-mails, or link one by hand: syncwright link "
            f"{ctx.connection} {cid} CHANNEL_CUSTOMER_ID"
        )
    found = await directory.find_customers(
        email=customer.email or None, account_id=customer.accounting_id or None
    )
    if len(found) > 1:
        names = " and ".join(_describe(match) for match in found)
        return fail(
            f"customer {cid} matches {len(found)} {side} customers: {names}; not linked. "
            "Merge them on the channel or give them different e-mails"
        )
    if len(found) == 1:
        target = found[0].external_id
        holder = claimed.get(target) or await _holder(ctx, target)
        if holder is not None and holder != cid:
            return fail(
                f"customer {cid} matches {side} customer {_describe(found[0])}, which is "
                f"already linked to customer {holder}; two back-office customers share it"
            )
        return CustomerOutcome(customer, digest, "linked", target)
    outgoing = customer
    if customer.parent_external_id is not None:
        parent = links.get(customer.parent_external_id)
        if parent is None:
            return fail(
                f"customer {cid}: its parent customer {customer.parent_external_id} is not "
                f"on the {side} yet; it is tried again once the parent is there"
            )
        outgoing = customer.model_copy(update={"parent_external_id": parent})
    try:
        created = await directory.create_customer(outgoing)
    except PermanentError as exc:
        return fail(f"customer {cid}: {exc.message}")
    return CustomerOutcome(customer, digest, "created", created)


async def _twins(ctx: FlowContext, customer: Customer) -> list[str]:
    """Other back-office customers with this customer's e-mail that no account id tells apart
    (DESIGN.md rule 5, decided as at sale time: two candidates are an error on both)."""
    if not customer.email or not isinstance(ctx.source, CustomerDirectory):
        return []
    same = await ctx.source.find_customers(email=customer.email, account_id=None)
    return sorted(
        c.external_id
        for c in same
        if c.external_id != customer.external_id
        and not (
            customer.accounting_id and c.accounting_id and c.accounting_id != customer.accounting_id
        )
    )


def _parent_arrived(customer: Customer, links: dict[str, str]) -> bool:
    """A customer refused for want of its parent is tried again once the parent is linked."""
    return customer.parent_external_id is not None and customer.parent_external_id in links


def _parents_first(batch: dict[str, Customer]) -> list[Customer]:
    """The batch in page order, except that a parent in the batch comes before its children
    (a child is created on the channel with its parent's channel id)."""
    ordered: list[Customer] = []
    placed: set[str] = set()

    def place(customer: Customer) -> None:
        if customer.external_id in placed:
            return
        placed.add(customer.external_id)  # before the parent: a cycle cannot recurse for ever
        parent = customer.parent_external_id
        if parent is not None and parent in batch:
            place(batch[parent])
        ordered.append(customer)

    for customer in batch.values():
        place(customer)
    return ordered


def _describe(customer: Customer) -> str:
    keys = [k for k in (customer.email, customer.accounting_id) if k]
    return f"{customer.external_id} ({', '.join(keys)})" if keys else customer.external_id


async def _links(ctx: FlowContext, ids: Sequence[str]) -> dict[str, str]:
    rows = await fetch_in(
        ctx.store,
        "SELECT source_id, channel_id FROM links WHERE connection = ? AND entity = 'customer'"
        " AND source_id IN",
        (ctx.connection,),
        ids,
    )
    return {row["source_id"]: row["channel_id"] for row in rows}


async def _holder(ctx: FlowContext, channel_id: str) -> str | None:
    row = await ctx.store.fetchone(
        "SELECT source_id FROM links WHERE connection = ? AND entity = 'customer'"
        " AND channel_id = ?",
        (ctx.connection, channel_id),
    )
    return None if row is None else str(row["source_id"])


async def _failed_hashes(ctx: FlowContext, ids: Sequence[str]) -> dict[str, str]:
    """Refused hashes of items whose sync-log error is still open (a full sync clears the
    errors first, so it offers every refused customer again)."""
    rows = await fetch_in(
        ctx.store,
        "SELECT s.source_id, s.refused_hash FROM item_state s JOIN sync_errors e"
        " ON e.connection = s.connection AND e.flow = 'customers' AND e.external_id = s.source_id"
        " WHERE s.connection = ? AND s.entity = 'customer' AND s.refused_hash IS NOT NULL"
        " AND s.source_id IN",
        (ctx.connection,),
        ids,
    )
    return {row["source_id"]: row["refused_hash"] for row in rows}


def record(ctx: FlowContext, outcomes: Sequence[CustomerOutcome]) -> Commit:
    """The writes that make ``outcomes`` durable: links, item state, sync-log entries."""
    now = ctx.now()

    def commit(conn: sqlite3.Connection) -> None:
        ok: list[str] = []
        for out in outcomes:
            cid, customer = out.customer.external_id, out.customer
            token = customer.modified_at.isoformat() if customer.modified_at else None
            if out.action == "verified":
                item_state.checked(conn, ctx.connection, ENTITY, [cid], now)
                ok.append(cid)
            elif out.action == "updated":
                item_state.written(conn, ctx.connection, ENTITY, [(cid, out.hash, token, now, now)])
                ok.append(cid)
            elif out.action in ("linked", "created"):
                error = _link(conn, ctx.connection, cid, out.channel_id or "", now)
                if error is None:
                    written = now if out.action == "created" else None
                    done = (cid, out.hash, token, written, now)
                    item_state.written(conn, ctx.connection, ENTITY, [done])
                    ok.append(cid)
                else:
                    _failed(conn, ctx, cid, out.hash, error, now)
            elif out.action == "failed":
                _failed(conn, ctx, cid, out.hash, out.error or "refused", now)
        synclog.resolve(conn, ctx.connection, FLOW, ok)

    return commit


def _link(
    conn: sqlite3.Connection, connection: str, cid: str, channel_id: str, now: float
) -> str | None:
    """Insert the link; an error message if another job linked either side meanwhile."""
    row = conn.execute(
        "SELECT source_id, channel_id FROM links WHERE connection = ? AND entity = 'customer'"
        " AND (source_id = ? OR channel_id = ?)",
        (connection, cid, channel_id),
    ).fetchone()
    if row is None:  # neither side is linked: the new link cannot collide
        keep_link(conn, connection, ENTITY, cid, channel_id, now)
        return None
    if row["source_id"] == cid and row["channel_id"] == channel_id:
        return None
    if row["source_id"] == cid:  # linked meanwhile (e.g. at sale time): that link stands
        return None
    return (
        f"customer {cid} matches channel customer {channel_id}, which is already linked to "
        f"customer {row['source_id']}"
    )


def _failed(
    conn: sqlite3.Connection, ctx: FlowContext, cid: str, digest: str, message: str, now: float
) -> None:
    synclog.add_error(conn, ctx.connection, FLOW, cid, message, now)
    item_state.refused(conn, ctx.connection, ENTITY, [(cid, message, digest)])


async def _fetch(ctx: FlowContext, query: ChangeQuery) -> Page[Any]:
    return await source_of(ctx).changed_customers(query)


async def _list(ctx: FlowContext, query: ListQuery) -> Page[Any]:
    return await source_of(ctx).list_customers(query)


async def _apply(ctx: FlowContext, items: Sequence[Any]) -> Commit:
    return record(ctx, await push_customers(ctx, items))


PULLS[FLOW] = PullFlow(FLOW, _fetch, _apply, _list)
