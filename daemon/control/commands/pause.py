"""``pause`` - stop leasing jobs for a connection (running jobs finish; the pause survives a
restart until ``resume``).

args: ``connection`` (str), ``reason`` (str, optional). result: ``{"state", "message"}``.
errors: 2001, 2004.
"""

from __future__ import annotations

from pydantic import Field

from syncwright.daemon.control.commands.base import Call, ConnectionArgs, Result


class Args(ConnectionArgs):
    reason: str = Field(default="paused by an operator", max_length=500)


async def run(call: Call, args: Args) -> Result:
    actor = call.ctx.actor(args.connection)
    await actor.pause(args.reason)
    return {"state": actor.state, "message": f"{args.connection}: paused ({args.reason})"}
