"""``retry`` - dead jobs back to the queue now, with fresh attempts (their error history is
kept): one job, or all dead jobs of the connection (optionally of one kind).

args: ``connection`` (str), ``job`` (int, optional), ``all`` (bool, default false),
``kind`` (str, optional; with ``all``). Exactly one of ``job`` and ``all`` is required.
result: ``{"retried": n, "message": text}``. errors: 2001, 1002, 2002 no such dead job.
"""

from __future__ import annotations

from pydantic import Field

from syncwright.daemon.control.commands.base import Call, ConnectionArgs, Result
from syncwright.daemon.control.protocol import ControlError, ErrorCode


class Args(ConnectionArgs):
    job: int | None = Field(default=None, ge=1)
    all: bool = False
    kind: str | None = Field(default=None, max_length=64)


async def run(call: Call, args: Args) -> Result:
    ctx = call.ctx
    ctx.check_connection(args.connection)
    if (args.job is None) == (not args.all):
        raise ControlError(ErrorCode.BAD_REQUEST, "give either a job id or all=true")
    count = await ctx.services.queue.retry_dead(args.connection, args.job, kind=args.kind)
    if args.job is not None and count == 0:
        raise ControlError(
            ErrorCode.NOT_FOUND, f"{args.connection} has no dead job {args.job} to retry"
        )
    return {"retried": count, "message": f"{args.connection}: {count} dead job(s) queued again"}
