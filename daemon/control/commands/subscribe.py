"""``subscribe`` - from now on this connection also receives ``snapshot`` messages (at most
every 500 ms; a client that reads slowly gets only the latest) and ``event`` messages (job
done/failed, error added/resolved, budget blocked/unblocked, connection paused/resumed/state;
per 500 ms at most 20 of each kind, the rest counted in one ``summary`` event per kind and
connection; at most 256 waiting, older ones dropped and counted in an ``events.dropped``
event). The first snapshot follows the reply at once. Subscribing again changes ``detail``.

args: ``detail`` (bool, default false): events carry job id, kind, class, flow, item, until,
action and summary fields. result: ``{"interval": seconds, "detail": bool}``.
"""

from __future__ import annotations

from syncwright.daemon.control.commands.base import Args as BaseArgs
from syncwright.daemon.control.commands.base import Call, Result

INTERVAL = 0.5


class Args(BaseArgs):
    detail: bool = False


async def run(call: Call, args: Args) -> Result:
    await call.session.subscribe(detail=args.detail)
    return {"interval": INTERVAL, "detail": args.detail}
