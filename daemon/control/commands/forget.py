"""``forget`` - delete everything the state file holds for a connection that is no longer in
the running config (jobs, cursors, links, item state, sync log, full runs).

args: ``connection`` (str). result: ``{"deleted": {table: rows}, "message": text}``.
errors: 2003 the connection is still configured (remove it and reload first).
"""

from __future__ import annotations

from syncwright.daemon.control.commands.base import Call, ConnectionArgs, Result
from syncwright.daemon.control.protocol import ControlError, ErrorCode
from syncwright.daemon.synclog import forget_connection

Args = ConnectionArgs


async def run(call: Call, args: ConnectionArgs) -> Result:
    ctx = call.ctx
    if args.connection in ctx.config.connections or args.connection in ctx.supervisor.slots:
        raise ControlError(
            ErrorCode.CONFLICT,
            f"connection {args.connection!r} is still in the running config; remove it from "
            "the config file and reload (SIGHUP) first",
        )
    name = args.connection
    deleted = await ctx.services.store.write(lambda conn: forget_connection(conn, name))
    total = sum(deleted.values())
    return {"deleted": deleted, "message": f"forgot {name!r}: {total} rows deleted"}
