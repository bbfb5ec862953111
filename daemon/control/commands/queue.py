"""``queue`` - one connection's queue: what Sidekiq's and Oban's queue pages show.

args: ``connection`` (str), ``limit`` (int, 1-500, default 50: rows per list).
result: a QueueView: ``jobs`` (view -> jobs per class), ``oldest_ready_age`` per class,
``executing`` (leased jobs with their progress), ``retrying`` (next run and last error),
``dead`` (newest first), ``recent`` (last finished jobs) and ``cursors`` per flow.
errors: 2001 unknown connection.
"""

from __future__ import annotations

from pydantic import Field

from syncwright.daemon.control.commands.base import Call, ConnectionArgs, Result
from syncwright.daemon.control.protocol import CLASS_NAMES, JOB_VIEWS, CursorRow, JobRow, QueueView
from syncwright.daemon.jobs.job import Job

ERROR_CHARS = 500


class Args(ConnectionArgs):
    limit: int = Field(default=50, ge=1, le=500)


def job_row(job: Job, now: float) -> JobRow:
    flow = job.payload.get("flow")
    return JobRow(
        id=job.id,
        kind=job.kind,
        cls=job.cls,
        view=job.view(now),
        flow=flow if isinstance(flow, str) else None,
        run_at=job.run_at,
        enqueued_at=job.enqueued_at,
        attempts=job.attempts,
        last_error=job.last_error[:ERROR_CHARS] if job.last_error else None,
        progress=job.progress,
        finished_at=job.finished_at,
    )


async def run(call: Call, args: Args) -> Result:
    ctx = call.ctx
    ctx.check_connection(args.connection)
    queue, store = ctx.services.queue, ctx.services.store
    name, now = args.connection, ctx.now()
    counts = await queue.counts(name)
    lists = {}
    for state in ("leased", "retrying", "dead", "done"):
        lists[state] = [
            job_row(j, now) for j in await queue.jobs(name, state=state, limit=args.limit)
        ]
    cursors = await store.fetchall(
        "SELECT flow, value, pass_after, pass_high, updated_at FROM cursors"
        " WHERE connection = ? ORDER BY flow",
        (name,),
    )
    view = QueueView(
        connection=name,
        at=now,
        jobs={
            v: [counts.count(v, c) for c in range(len(CLASS_NAMES))]
            for v in JOB_VIEWS
            if counts.count(v)
        },
        oldest_ready_age=[counts.oldest_ready_age.get(c) for c in range(len(CLASS_NAMES))],
        executing=lists["leased"],
        retrying=lists["retrying"],
        dead=lists["dead"],
        recent=lists["done"],
        cursors=[
            CursorRow(
                flow=r["flow"],
                value=r["value"],
                in_pass=r["pass_after"] is not None,
                pass_high=r["pass_high"],
                updated_at=r["updated_at"],
            )
            for r in cursors
        ],
    )
    return view.model_dump()
