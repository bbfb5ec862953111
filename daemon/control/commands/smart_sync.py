"""``smart_sync`` - "sync now": queue the connection's change pulls at class 1 (a pull already
pending is lifted to class 1, not doubled).

args: ``connection`` (str). result: ``{"message": text}``. errors: 2001, 2004, 2005 the
connection is paused or its authentication failed.
"""

from __future__ import annotations

from syncwright.daemon.control.commands.base import Call, ConnectionArgs, Result

Args = ConnectionArgs


async def run(call: Call, args: ConnectionArgs) -> Result:
    await call.ctx.working_actor(args.connection).sync_now()
    return {"message": f"{args.connection}: change pulls queued now"}
