"""``resync`` - a full resync of a connection: all its flows, or the ones named.

args: ``connection`` (str), ``flows`` (list of str, optional). result: ``{"run": id or null,
"flows": [...], "message": text}``; run is null when none of the flows has a full sync.
errors: 2001 unknown connection, 1002 a flow this connection does not sync, 2005 the
connection is paused or its authentication failed (nothing is started).
"""

from __future__ import annotations

from pydantic import Field

from syncwright.daemon.control.commands.base import Call, ConnectionArgs, Result
from syncwright.daemon.control.protocol import ControlError, ErrorCode


class Args(ConnectionArgs):
    flows: list[str] | None = Field(default=None, max_length=32)


async def run(call: Call, args: Args) -> Result:
    actor = call.ctx.working_actor(args.connection)
    flows = list(args.flows or actor.settings.flows)
    unknown = [f for f in flows if f not in actor.settings.flows]
    if unknown:
        raise ControlError(
            ErrorCode.BAD_REQUEST,
            f"connection {args.connection!r} does not sync {', '.join(unknown)} (its flows: "
            f"{', '.join(actor.settings.flows)})",
        )
    run_id = await actor.start_full_sync(flows)
    if run_id is None:
        message = f"{args.connection}: nothing to resync for {', '.join(flows)}"
    else:
        message = f"{args.connection}: full resync {run_id} started ({', '.join(flows)})"
    return {"run": run_id, "flows": flows, "message": message}
