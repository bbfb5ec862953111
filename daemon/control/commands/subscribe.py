"""``subscribe`` - from now on this connection also receives ``snapshot`` messages (at most
every 500 ms; a client that reads slowly gets only the latest) and ``event`` messages (job
done/failed, error added/resolved, budget blocked/unblocked, connection state; at most 256
waiting, older ones dropped and counted in an ``events.dropped`` event). The first snapshot
follows the reply at once.

args: none. result: ``{"interval": seconds}``.
"""

from __future__ import annotations

from daemon.control.commands.base import Call, NoArgs, Result

Args = NoArgs
INTERVAL = 0.5


async def run(call: Call, args: NoArgs) -> Result:
    await call.session.subscribe()
    return {"interval": INTERVAL}
