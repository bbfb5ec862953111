"""``sync_item`` - sync one product (with its stock) or one SKU's stock now, at class 1.

args: ``connection`` (str), ``flow`` ("products" or "stock"), ``id`` (str: the product's id
or SKU, or the SKU for stock), ``wait`` (number of seconds 0-60, default 0: how long to wait
for the job's outcome). result: ``{"job": id, "merged": bool, "state": "pending" | "leased" |
"done" | "not_found" | "dead", "error": last error or why it was not found, or null,
"message": text for the operator}``. An id or SKU the back office does not have ends the job
at once as ``not_found`` (done, never dead). errors: 2001 unknown connection, 1002 flow not
synced by this connection or empty id, 2005 the connection is paused or its authentication
failed (nothing is queued).
"""

from __future__ import annotations

import anyio
from pydantic import Field

from syncwright.daemon.control.commands.base import Call, ConnectionArgs, Result
from syncwright.daemon.control.protocol import ControlError, ErrorCode
from syncwright.daemon.flows import manual

POLL = 0.1


class Args(ConnectionArgs):
    flow: str = Field(max_length=64)
    id: str = Field(min_length=1, max_length=256)
    wait: float = Field(default=0.0, ge=0.0, le=60.0)


async def run(call: Call, args: Args) -> Result:
    actor = call.ctx.working_actor(args.connection)
    flows = actor.settings.flows
    if args.flow not in flows:
        raise ControlError(
            ErrorCode.BAD_REQUEST,
            f"connection {args.connection!r} does not sync {args.flow!r} (its flows: "
            f"{', '.join(flows)})",
        )
    try:
        spec = manual.sync_item_spec(args.flow, args.id, stock="stock" in flows)
    except ValueError as exc:
        raise ControlError(ErrorCode.BAD_REQUEST, str(exc)) from None
    queue = call.ctx.services.queue
    (queued,) = await queue.enqueue_many(args.connection, [spec])
    actor.wake()
    job = await queue.get(queued.job_id)
    with anyio.move_on_after(args.wait):
        while job is not None and job.state not in ("done", "dead"):
            await anyio.sleep(POLL)
            job = await queue.get(queued.job_id)
    state = job.state if job is not None else "done"
    error = job.last_error if job is not None else None
    missing = (job.progress or {}).get("not_found") if job is not None else None
    if state == "done" and missing:
        state, error = "not_found", str(missing)
        message = f"{args.flow} {args.id!r} not found at the source: {missing}; nothing synced"
    elif state == "done":
        message = f"{args.flow} {args.id!r} synced"
    elif state == "dead":
        message = f"{args.flow} {args.id!r} failed: {error}"
    else:
        message = f"{args.flow} {args.id!r} queued as job {queued.job_id} ({state})"
        if error:
            message += f"; last error: {error}"
    return {
        "job": queued.job_id,
        "merged": queued.merged,
        "state": state,
        "error": error,
        "message": message,
    }
