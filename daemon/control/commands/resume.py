"""``resume`` - a paused (or authentication-failed) connection takes jobs again.

args: ``connection`` (str). result: ``{"state", "message"}``. errors: 2001, 2004.
"""

from __future__ import annotations

from syncwright.daemon.control.commands.base import Call, ConnectionArgs, Result

Args = ConnectionArgs


async def run(call: Call, args: ConnectionArgs) -> Result:
    actor = call.ctx.actor(args.connection)
    await actor.resume()
    return {"state": actor.state, "message": f"{args.connection}: resumed"}
