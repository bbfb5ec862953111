"""``unsubscribe`` - stop the snapshots and events on this connection.

args: none. result: ``{}``.
"""

from __future__ import annotations

from syncwright.daemon.control.commands.base import Call, NoArgs, Result

Args = NoArgs


async def run(call: Call, args: NoArgs) -> Result:
    call.session.unsubscribe()
    return {}
