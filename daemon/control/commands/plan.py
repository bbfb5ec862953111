"""``plan`` - a dry run: what a change pull of the connection would write now, nothing written.

args: ``connection`` (str), ``flows`` (list of str, optional: default every pulled flow of the
connection), ``max_pages`` (1-1000, default 20: pages read per flow before the plan stops,
``complete`` false). The reads go through the daemon's connectors and are charged to its
budgets at class 1 (manual); no cursor, link, item state, job or sync-log row changes, and
nothing is written to either system (daemon/flows/plan.py).
result: ``{"connection", "flows": [per flow: "flow", "mode" ("cursor" | "audit"), "pages",
"items_read", "complete", "creates" [{"item", "title"}], "updates" [{"item", "fields"}],
"discontinues" [id], "stock" [{"sku", "location", "from", "to"}], "parked" (levels waiting for
their product), "customers_created" [id], "customers_linked" [{"item", "channel_id"}],
"errors" [{"item", "error"}], "orders_post" [id], "orders_amend" [id], "orders_skipped" [id],
and a ``<list>_count`` beside each list (lists hold at most 200)], "calls_read" {system: calls
charged by this plan's reads}, "calls_write" {system: write requests a sync would make},
"writes_note", "message"}``.
errors: 2001 unknown connection, 1002 a flow this connection does not pull, 2004 the budget
holds back class 1 now or a read failed (the reason says which).
"""

from __future__ import annotations

from pydantic import Field

from syncwright.connectors.base import ChannelConnector, SourceConnector
from syncwright.connectors.errors import ConnectorError
from syncwright.daemon.control.commands.base import Call, ConnectionArgs, Result
from syncwright.daemon.control.protocol import ControlError, ErrorCode
from syncwright.daemon.flows.context import FlowContext
from syncwright.daemon.flows.plan import make_plan
from syncwright.daemon.flows.pull import PULLS


class Args(ConnectionArgs):
    flows: list[str] | None = Field(default=None, max_length=32)
    max_pages: int = Field(default=20, ge=1, le=1000)


async def run(call: Call, args: Args) -> Result:
    actor = call.ctx.actor(args.connection)
    s, svc = actor.settings, call.ctx.services
    pulled = [f for f in s.flows if f in PULLS]
    flows = list(args.flows or pulled)
    unknown = [f for f in flows if f not in pulled]
    if unknown:
        raise ControlError(
            ErrorCode.BAD_REQUEST,
            f"connection {args.connection!r} does not pull {', '.join(unknown)} (its pulled "
            f"flows: {', '.join(pulled)})",
        )
    source, channel = svc.connectors[s.source.name], svc.connectors[s.channel.name]
    if not isinstance(source, SourceConnector) or not isinstance(channel, ChannelConnector):
        raise ControlError(ErrorCode.UNAVAILABLE, f"{args.connection}: no connectors to plan with")
    ctx = FlowContext(args.connection, s.flow, source, channel, svc.store, svc.queue, svc.clock)
    try:
        result = await make_plan(
            ctx, flows, max_pages=args.max_pages, systems=(s.source.name, s.channel.name)
        )
    except ConnectorError as exc:
        raise ControlError(
            ErrorCode.UNAVAILABLE, f"{args.connection}: the plan could not read: {exc}"
        ) from None
    return {"connection": args.connection, **result, "message": summary(args.connection, result)}


def summary(connection: str, result: Result) -> str:
    parts = []
    for f in result["flows"]:
        counts = [
            (f["creates_count"], "creates"),
            (f["updates_count"], "updates"),
            (f["discontinues_count"], "discontinues"),
            (f["stock_count"], "stock pushes"),
            (f["customers_created_count"], "customers created"),
            (f["customers_linked_count"], "customers linked"),
            (f["orders_post_count"], "orders posted"),
            (f["errors_count"], "errors"),
        ]
        said = ", ".join(f"{n} {what}" for n, what in counts if n) or "nothing to write"
        more = "" if f["complete"] else " (stopped at the page limit)"
        parts.append(f"{f['flow']}: {said}{more}")
    return f"{connection} plan (nothing written): " + "; ".join(parts)
