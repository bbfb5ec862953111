"""``link`` - a person links a back-office customer to a channel customer, settling what no
flow may guess (two back-office customers sharing one e-mail).

args: ``connection`` (str), ``back_office_id`` (str: the customer's id in the back office),
``channel_id`` (str: the channel's customer id, or ``email:<address>`` for an order customer
the channel gives no id, as the order's sync-log error names it), ``made_by`` (str: who links
it, recorded with the link). result: ``{"replaced": [[back-office id, channel id], ...],
"orders": [order ids queued again], "message": text}``. The link replaces any link either
side had, is recorded with ``made_by``, resolves the customers-flow error of the linked
back-office customer, and queues again the orders refused because this channel customer was
ambiguous. errors: 2001 unknown connection, 1002 an empty id.
"""

from __future__ import annotations

import sqlite3

import structlog
from pydantic import Field

from syncwright.daemon import synclog
from syncwright.daemon.control.commands.base import Call, ConnectionArgs, Result
from syncwright.daemon.flows import links, orders

log = structlog.get_logger("syncwright.control")


class Args(ConnectionArgs):
    back_office_id: str = Field(min_length=1, max_length=256)
    channel_id: str = Field(min_length=1, max_length=512)
    made_by: str = Field(min_length=1, max_length=128)


async def run(call: Call, args: Args) -> Result:
    actor = call.ctx.actor(args.connection)
    services = call.ctx.services
    now = services.clock.now()
    source_id, channel_id = args.back_office_id.strip(), args.channel_id.strip()

    def write(conn: sqlite3.Connection) -> tuple[list[tuple[str, str]], list[str]]:
        replaced = links.link_by_hand(
            conn, args.connection, "customer", source_id, channel_id, args.made_by, now
        )
        synclog.resolve(conn, args.connection, "customers", [source_id])
        queued = orders.requeue_waiting(conn, services.queue, args.connection, channel_id)
        return replaced, queued

    replaced, queued = await services.store.write(write, durable=True)
    services.queue.notify(args.connection)
    actor.wake()
    log.info(
        "link.made_by_hand",
        connection=args.connection,
        entity="customer",
        back_office_id=source_id,
        channel_id=channel_id,
        made_by=args.made_by,
        replaced=replaced,
        orders=queued,
    )
    message = f"customer {source_id} linked to channel customer {channel_id} by {args.made_by}"
    if replaced:
        message += "; replaced " + ", ".join(f"{s} <-> {c}" for s, c in replaced)
    if queued:
        message += f"; orders queued again: {', '.join(queued)}"
    return {"replaced": [list(pair) for pair in replaced], "orders": queued, "message": message}
