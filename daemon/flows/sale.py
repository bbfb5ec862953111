"""Sale-time sync: before an order is posted, the back office gets its customer and products.

Customers are linked (links entity ``customer``: back-office id <-> the channel's customer id,
or ``email:<address>`` for a customer the channel gives no id) by account id or e-mail. One
match links it; none creates the customer in the back office; several are an error for a
person to settle (DESIGN.md rule 5: no guess), even when a flow linked one of them before
(the same rule as the customers flow's); only a person's link (``syncwright link``, recorded
in ``links.made_by``) settles it. A linked customer is never written to again.
Look-ups ignore the e-mail's case, and the look-up and create of one identity (normalised
e-mail, account id) run one at a time in the daemon: two orders of one new customer taken in
one pull (their e-mails may differ in case only) create it once, and the second finds it.

A SKU the back office lacks is created there from the order line (title, SKU, price) and
linked as ``sale_product`` (back-office product id <-> SKU); ``product`` and ``variant``
links stay the products flow's, where they mean "reached the channel". A line SKU the back
office no longer knows, because it renamed the variant after the channel took the order, is
followed through those links to the variant's SKU now (:func:`follow_renamed_skus`).

Every remote create is linked in its own write at once, so a crash right after it costs a
look-up on the next attempt, never a second customer or product.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial

import anyio
import structlog

from syncwright.connectors.base import CustomerDirectory, OrderTarget
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Customer, Order, OrderLine, Product, Variant
from syncwright.daemon.flows.context import FlowContext, fetch_in
from syncwright.daemon.flows.links import keep_link

log = structlog.get_logger("syncwright.sale")


class AmbiguousCustomer(Exception):
    """The order's customer matches several back-office customers; a person must choose."""

    def __init__(self, message: str, candidates: Sequence[str]) -> None:
        super().__init__(message)
        self.candidates = tuple(candidates)


def customer_key(customer: Customer) -> str:
    """The customer's id in the channel, as the ``customer`` link's channel side."""
    if customer.external_id:
        return customer.external_id
    return f"email:{(customer.email or '').strip().lower()}"


def identities(customer: Customer) -> list[str]:
    """What makes two channel customers one back-office customer: the e-mail (case and
    surrounding blanks ignored) and the account id."""
    found = []
    email = (customer.email or "").strip().lower()
    if email:
        found.append(f"email:{email}")
    if customer.accounting_id:
        found.append(f"account:{customer.accounting_id}")
    return found


@asynccontextmanager
async def one_identity_at_a_time(ctx: FlowContext, customer: Customer) -> AsyncIterator[None]:
    """Hold the daemon's lock of each identity of ``customer`` (taken in sorted order, so two
    jobs never wait on each other crosswise); idle locks are dropped."""
    locks = ctx.memory.customer_locks
    keys = [(ctx.connection, ident) for ident in sorted(identities(customer))]
    async with AsyncExitStack() as stack:
        for key in keys:
            lock = locks.setdefault(key, anyio.Lock())
            stack.push_async_callback(_drop_if_idle, locks, key, lock)
            await stack.enter_async_context(lock)
        yield


async def _drop_if_idle(
    locks: dict[tuple[str, str], anyio.Lock], key: tuple[str, str], lock: anyio.Lock
) -> None:
    if not lock.locked() and lock.statistics().tasks_waiting == 0:
        locks.pop(key, None)


async def ensure_customer(ctx: FlowContext, directory: CustomerDirectory, order: Order) -> str:
    """The back-office id of the order's customer: linked, found (then linked) or created."""
    async with one_identity_at_a_time(ctx, order.customer):
        return await _ensure_customer(ctx, directory, order)


async def _ensure_customer(ctx: FlowContext, directory: CustomerDirectory, order: Order) -> str:
    customer = order.customer
    key = customer_key(customer)
    row = await ctx.store.fetchone(
        "SELECT source_id, made_by FROM links WHERE connection = ? AND entity = 'customer'"
        " AND channel_id = ?",
        (ctx.connection, key),
    )
    if row is not None and row["made_by"] is not None:
        return str(row["source_id"])  # a person's choice settles any ambiguity
    email = (customer.email or "").strip() or None
    account = customer.accounting_id or None
    found: dict[str, Customer] = {}
    if email or account:
        for match in await directory.find_customers(email=email, account_id=account):
            found.setdefault(match.external_id, match)
    if len(found) > 1 and account:  # the account id tells them apart, if one has it
        exact = {cid: c for cid, c in found.items() if c.accounting_id == account}
        found = exact if len(exact) == 1 else found
    if len(found) > 1:
        # Checked before a flow's link is used too: the customers flow may have linked one of
        # them (before it refused ambiguity as this does), and that was a guess.
        ids = sorted(found, key=_id_order)
        raise AmbiguousCustomer(_ambiguity(ctx.connection, email, account, ids, key), ids)
    if row is not None:
        return str(row["source_id"])
    if found:
        (back_office_id,) = found
        how = "matched"
    else:
        back_office_id = await directory.create_customer(_for_back_office(order))
        how = "created"
    now = ctx.now()
    await ctx.store.write(
        lambda conn: _link(conn, ctx.connection, back_office_id, key, now), durable=True
    )
    log.info(
        "customer.linked",
        connection=ctx.connection,
        order=order.external_id,
        customer=key,
        back_office_id=back_office_id,
        how=how,
    )
    return back_office_id


def waiting_mark(key: str) -> str:
    """The words an order's ambiguity error names its channel customer with: a person's link
    of that customer queues the orders whose open error holds them (flows/orders.py)."""
    return f"[channel customer {key}]"


def _ambiguity(
    connection: str, email: str | None, account: str | None, ids: list[str], key: str
) -> str:
    what = f"customer e-mail {email}" if email else f"customer account {account}"
    if email and account:
        what = f"customer e-mail {email} (account {account})"
    return (
        f"{what} {waiting_mark(key)} matches {len(ids)} customers in the back office: "
        f"{', '.join(ids)}; no flow links either: link one by hand "
        f"(syncwright link {connection} BACK_OFFICE_ID {key})"
    )


def _id_order(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (1 << 62, value)


def _for_back_office(order: Order) -> Customer:
    """The channel's customer as the back office should create it: no channel-side parent
    id (it means nothing there), the delivery address when the account has none."""
    customer = order.customer
    return customer.model_copy(
        update={
            "parent_external_id": None,
            "address": customer.address or order.shipping_address,
        }
    )


def _link(
    conn: sqlite3.Connection, connection: str, back_office_id: str, key: str, now: float
) -> None:
    # OR IGNORE: a back-office customer already linked to another channel account keeps that
    # link (links are never overwritten); this order still uses the customer.
    keep_link(conn, connection, "customer", back_office_id, key, now)


async def ensure_products(ctx: FlowContext, target: OrderTarget, order: Order) -> list[str]:
    """Create in the back office every SKU of the order it lacks; returns the SKUs created."""
    lines: dict[str, OrderLine] = {}
    for number, line in enumerate(order.lines, 1):
        if not line.sku:
            raise PermanentError(
                f"order {order.external_id}: line {number} ({line.title or 'untitled'}) has no "
                "SKU, so it matches no back-office product; give the item a SKU in the channel"
            )
        lines.setdefault(line.sku, line)
    # A SKU the products flow linked came from the back office; one we created is there too.
    known: set[str] = set()
    for entity, column in (("variant", "source_id"), ("sale_product", "channel_id")):
        rows = await fetch_in(
            ctx.store,
            f"SELECT {column} AS sku FROM links WHERE connection = ? AND entity = ?"
            f" AND {column} IN",
            (ctx.connection, entity),
            list(lines),
        )
        known |= {row["sku"] for row in rows}
    created: list[str] = []
    for sku, line in lines.items():
        if sku in known or await _exists(ctx, sku):
            continue
        try:
            product_id = await target.create_product(minimal_product(line, sku))
        except PermanentError:
            # Another order may have created it a moment ago (the SKU is taken): fine then.
            if await _exists(ctx, sku):
                continue
            raise
        link = (ctx.connection, product_id, sku, ctx.now())
        await ctx.store.write(partial(_link_product, link), durable=True)
        log.info(
            "product.created_at_sale",
            connection=ctx.connection,
            order=order.external_id,
            sku=sku,
            back_office_id=product_id,
        )
        created.append(sku)
    return created


def _link_product(row: tuple[str, str, str, float], conn: sqlite3.Connection) -> None:
    keep_link(conn, row[0], "sale_product", row[1], row[2], row[3])


async def _exists(ctx: FlowContext, sku: str) -> bool:
    product = await ctx.source.get_product(sku)
    # A look-up may also match by id; only a variant with this SKU counts.
    return product is not None and any(v.sku == sku for v in product.variants)


def minimal_product(line: OrderLine, sku: str) -> Product:
    """What an order line tells about a product: enough for the back office to sell it."""
    title = line.title or sku
    handle = re.sub(r"[^a-z0-9]+", "-", sku.lower()).strip("-") or "item"
    return Product(
        external_id=f"sale:{sku}",
        title=title,
        handle=handle,
        variants=(Variant(external_id=sku, sku=sku, title=title, price=line.unit_price),),
    )


async def follow_renamed_skus(ctx: FlowContext, order: Order) -> Order | None:
    """The order with each line SKU the back office no longer knows replaced by the SKU its
    back-office variant holds now; None when no line can be followed so.

    A line's SKU was renamed in the back office after the channel took the order: the
    ``variant`` link of the old SKU names the channel product it reached, whose ``product``
    link names the back-office product. Its variant is the only one it has, or else the only
    one whose SKU has not reached the channel yet; anything else is left as it is (no guess).
    Called only once the back office has refused the order, so posting costs no look-up more.
    """
    renamed: dict[str, str] = {}
    for sku in sorted({line.sku for line in order.lines if line.sku}):
        new = await _renamed_sku(ctx, sku)
        if new is not None:
            renamed[sku] = new
    if not renamed:
        return None
    log.info("order.sku_renamed", connection=ctx.connection, order=order.external_id, skus=renamed)
    lines = tuple(
        line.model_copy(update={"sku": renamed[line.sku]}) if line.sku in renamed else line
        for line in order.lines
    )
    return order.model_copy(update={"lines": lines})


async def _renamed_sku(ctx: FlowContext, sku: str) -> str | None:
    rows = await ctx.store.fetchall(
        "SELECT channel_id FROM links WHERE connection = ? AND entity = 'variant'"
        " AND source_id = ?",
        (ctx.connection, sku),
    )
    suffix = f":{sku}"
    if len(rows) != 1 or not str(rows[0]["channel_id"]).endswith(suffix):
        return None
    channel_product = str(rows[0]["channel_id"])[: -len(suffix)]
    rows = await ctx.store.fetchall(
        "SELECT source_id FROM links WHERE connection = ? AND entity = 'product'"
        " AND channel_id = ?",
        (ctx.connection, channel_product),
    )
    if len(rows) != 1 or await _exists(ctx, sku):
        return None
    product = await ctx.source.get_product(str(rows[0]["source_id"]))
    if product is None:
        return None
    skus = [v.sku for v in product.variants if v.sku]
    if len(skus) > 1:
        linked = await fetch_in(
            ctx.store,
            "SELECT source_id FROM links WHERE connection = ? AND entity = 'variant'"
            " AND source_id IN",
            (ctx.connection,),
            skus,
        )
        skus = [s for s in skus if s not in {row["source_id"] for row in linked}]
    return skus[0] if len(skus) == 1 and skus[0] != sku else None
