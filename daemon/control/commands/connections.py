"""``connections`` - the configured connections and what their actors are doing.

args: none. result: ``{"connections": [{name, source, channel, flows, workers, state,
pause_reason, restarts}]}``; state is "stopped" when no actor runs for it.
"""

from __future__ import annotations

from syncwright.daemon.control.commands.base import Call, NoArgs, Result

Args = NoArgs


async def run(call: Call, args: NoArgs) -> Result:
    rows = []
    for name, cfg in call.ctx.config.connections.items():
        slot = call.ctx.supervisor.slots.get(name)
        rows.append(
            {
                "name": name,
                "source": cfg.source,
                "channel": cfg.channel,
                "flows": list(cfg.flows),
                "workers": cfg.workers,
                "state": slot.actor.state if slot else "stopped",
                "pause_reason": slot.actor.pause_reason if slot else None,
                "restarts": slot.restarts if slot else 0,
            }
        )
    return {"connections": rows}
