"""Prices: the default price list of a channel, named after its platform ("Sandbox Price").

Variant prices travel with the products, so every product sync updates the list (the products
flow writes a product whose price changed like any other change). What is left here is making
sure the list exists, on connect: a channel that manages named lists (``PriceLists``) is asked
to ensure one called ``Capabilities.price_list_name``; one that does not keeps the variants'
prices under that name itself. Either way the list is recorded as a link (entity
'price_list', back-office side: the list's name) so status views can show it.
"""

from __future__ import annotations

import sqlite3

from syncwright.connectors.base import PriceLists
from syncwright.daemon.flows.context import Commit, FlowContext
from syncwright.daemon.flows.links import set_link
from syncwright.daemon.jobs.job import Job

ENTITY = "price_list"


def list_name(ctx: FlowContext) -> str:
    """The default list's name: the channel platform's (e.g. "Shopify Price")."""
    return ctx.channel.capabilities.price_list_name


async def ensure_price_list(ctx: FlowContext, job: Job | None = None) -> Commit:
    """Create the default price list on the channel unless it exists; record its id."""
    name = list_name(ctx)
    if isinstance(ctx.channel, PriceLists):
        list_id = await ctx.channel.ensure_price_list(name)
    else:
        list_id = name  # the platform keeps prices on its variants, under this name
    now = ctx.now()

    def commit(conn: sqlite3.Connection) -> None:
        set_link(conn, ctx.connection, ENTITY, name, list_id, now)

    return commit
