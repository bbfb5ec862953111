"""``forget`` - delete everything the state file holds for a connection that is no longer in
the running config (jobs, cursors, links, item state, sync log, full runs).

args: ``connection`` (str). result: ``{"deleted": {table: rows}, "message": text}``.
errors: 2003 the connection is still configured (remove it and reload first); the channels its
sync log was mirrored to could not delete their logs (nothing forgotten; try again).
"""

from __future__ import annotations

import sqlite3

from syncwright.daemon.control.commands.base import Call, ConnectionArgs, Result
from syncwright.daemon.control.protocol import ControlError, ErrorCode
from syncwright.daemon.synclog import forget_connection
from syncwright.daemon.synclog_mirror import forget_channel, forget_remote

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
    svc = ctx.services
    rows = await svc.store.fetchall(
        "SELECT DISTINCT channel FROM synclog_mirror WHERE connection = ?", (name,)
    )
    channels = [row[0] for row in rows]
    failed = await forget_remote({c: svc.connectors.get(c) for c in channels})
    if failed:
        detail = "; ".join(f"{c}: {why}" for c, why in failed.items())
        raise ControlError(
            ErrorCode.UNAVAILABLE,
            f"the sync logs mirrored to {', '.join(failed)} could not be deleted ({detail}); "
            "nothing was forgotten, try again",
        )

    def forget(conn: sqlite3.Connection) -> dict[str, int]:
        deleted = forget_connection(conn, name)
        for channel in channels:  # the site's logs are gone: others mirror theirs again
            forget_channel(conn, channel)
        return deleted

    deleted = await svc.store.write(forget)
    total = sum(deleted.values())
    return {"deleted": deleted, "message": f"forgot {name!r}: {total} rows deleted"}
