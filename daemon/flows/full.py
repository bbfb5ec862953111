"""Full syncs ("clear and sync all") as class-4 slice jobs, one page of the source's listing each.

A run clears the sync-log errors of its flows, then walks each flow's full listing by id, a
page per job; each job queues the next page in the transaction that records its results, so a
run survives restarts and waits out budget windows (the dispatcher does not lease class 4 while
the budget keeps it back). Products are compared with what the channel holds and only drift is
written; stock pushes every quantity. Stock (and prices) start when products have finished, so
their SKUs are linked on the channel. The run's completion time is written by the transaction
of its last slice (``full_runs.slices_left`` reaching 0).

A full sync starts by itself on a connection's first start (no run ever finished, none in
progress), every ``schedule.full``, or when an operator asks (:func:`start`). On a first start
a flow whose change pull has never finished a pass leaves the work to that first pass, which
reads everything from the beginning and writes every item (there is nothing to compare with
yet): the run waits for it instead of racing it for the same writes, and does the flow's pass
itself only if that pull is not queued (for example dead).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

import structlog

from syncwright.connectors.base import ListQuery
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import StockLevel
from syncwright.daemon import synclog
from syncwright.daemon.flows import bulk_read, verify
from syncwright.daemon.flows import cursor as cursors
from syncwright.daemon.flows.context import Commit, FlowContext, fetch_in
from syncwright.daemon.flows.pull import PULLS
from syncwright.daemon.jobs.job import Job, JobSpec
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.store.db import Store

log = structlog.get_logger("syncwright.full")

FULL_CLASS = 4
#: A flow's pass starts only after the flow it needs has finished in the same run.
NEEDS = {"stock": "products", "prices": "products"}

Repair = Callable[[FlowContext, Sequence[Any], synclog.FullRun], Awaitable[Commit]]


FIRST_START = "first start"
#: The progress a slice job that only waited finishes with.
WAITING = {"waited": "for the first change pull"}


def full_flows(flows: Sequence[str]) -> list[str]:
    """The connection's flows a full sync covers: those with a repair and a full listing."""
    return [f for f in flows if f in REPAIRS and f in PULLS and PULLS[f].list_all is not None]


def slice_spec(run_id: int, flow: str, after: str | None) -> JobSpec:
    return JobSpec(
        kind="full",
        cls=FULL_CLASS,
        payload={"run": run_id, "flow": flow, "after": after},
        dedup_key=f"full:{run_id}:{flow}",
    )


def begin_in(
    conn: sqlite3.Connection,
    queue: Queue,
    connection: str,
    flows: Sequence[str],
    reason: str,
    now: float,
) -> int:
    """Inside a write: start a run (replacing an unfinished one) and queue its first slices."""
    queue.supersede_in(conn, connection, "full", "replaced by a newer full sync", now)
    fresh = (
        [f for f in flows if not _pass_done(conn, connection, f)] if reason == FIRST_START else []
    )
    run_id = synclog.begin_full(conn, connection, flows, reason, now, fresh)
    first = [f for f in flows if NEEDS.get(f) not in flows]
    for flow in first:
        queue.enqueue_in(conn, connection, slice_spec(run_id, flow, None))
    synclog.add_slices(conn, connection, run_id, len(first))
    return run_id


async def start(
    store: Store,
    queue: Queue,
    connection: str,
    flows: Sequence[str],
    reason: str,
    now: float,
) -> int | None:
    """Start a full sync of ``flows`` (those that can be listed); the run id, or None."""
    chosen = full_flows(flows)
    if not chosen:
        return None
    run_id = await store.write(lambda c: begin_in(c, queue, connection, chosen, reason, now))
    queue.notify(connection)
    log.info("full.started", connection=connection, run=run_id, flows=chosen, reason=reason)
    return run_id


async def running(store: Store, connection: str) -> bool:
    """Whether a full sync of ``connection`` is running (its slices are queued or leased)."""
    row = await store.fetchone(
        "SELECT 1 FROM full_runs r WHERE r.connection = ? AND r.state = 'running' AND EXISTS"
        " (SELECT 1 FROM jobs j WHERE j.connection = r.connection AND j.kind = 'full'"
        " AND j.state IN ('pending', 'leased'))",
        (connection,),
    )
    return row is not None


async def due(
    store: Store, connection: str, every: float | None, now: float, *, first_start: bool
) -> str | None:
    """Why a full sync should start now ("first start", "schedule"), or None."""
    if await running(store, connection):
        return None
    row = await store.fetchone(
        "SELECT max(started_at) AS last, sum(state = 'done') AS done FROM full_runs"
        " WHERE connection = ?",
        (connection,),
    )
    last, done = (row["last"], row["done"]) if row is not None else (None, None)
    if first_start and not done:
        return FIRST_START
    if every is not None and last is not None and last + every <= now:
        return "schedule"
    return None


async def full_slice(ctx: FlowContext, job: Job) -> Commit | None:
    run_id, flow_name = int(job.payload["run"]), str(job.payload["flow"])
    after = job.payload.get("after")
    run = await _run(ctx, run_id)
    if run is None or run.state != "running":
        return None  # replaced by a newer run: nothing left to do
    flow, repair = PULLS.get(flow_name), REPAIRS.get(flow_name)
    if flow is None or flow.list_all is None or repair is None:
        raise PermanentError(f"full sync: the flow {flow_name!r} has no full sync")
    if flow_name in run.fresh:  # a first start: the flow's first change pull does the work
        if not await _first_pull_done(ctx, flow_name):
            if await _pull_queued(ctx, flow_name):
                return _wait(ctx, job, run)
        else:
            return _follow(ctx, run, flow_name, [], items=0)
    limit = min(ctx.settings.page_size, ctx.source.capabilities.max_page_size)
    page = await flow.list_all(ctx, ListQuery(None if after is None else str(after), limit))
    apply = await repair(ctx, page.items, run)
    key = None if after is None else ("", str(after))
    follow = cursors.continuation(page, key, f"{flow_name} listing")
    if follow is None:
        return _follow(ctx, run, flow_name, [apply], items=len(page.items))
    more = slice_spec(run_id, flow_name, follow[1])
    return _follow(ctx, run, flow_name, [apply], items=len(page.items), more=more)


def _follow(
    ctx: FlowContext,
    run: synclog.FullRun,
    flow: str,
    applies: Sequence[Commit],
    *,
    items: int,
    more: JobSpec | None = None,
) -> Commit:
    """The slice's commit: its results, then the next page (``more``) or, at the end of the
    flow's listing, the flows that waited for it; the run is done after its last slice."""
    if more is not None:
        specs = [more]
    else:
        specs = [slice_spec(run.run_id, f, None) for f in run.flows if NEEDS.get(f) == flow]
    now = ctx.now()

    def commit(conn: sqlite3.Connection) -> None:
        for apply in applies:
            apply(conn)
        current = synclog.load_run(conn, ctx.connection, run.run_id)
        if current is None or current.state != "running":
            return  # replaced while this slice ran: its results stand, the old run stops
        for spec in specs:
            ctx.queue.enqueue_in(conn, ctx.connection, spec)
        if synclog.slice_done(
            conn, ctx.connection, run.run_id, items=items, follow_ups=len(specs), now=now
        ):
            log.info("full.finished", connection=ctx.connection, run=run.run_id)

    return commit


_PASS_DONE = "SELECT 1 FROM cursors WHERE connection = ? AND flow IN (?, ?) AND value IS NOT NULL"


def _pass_done(conn: sqlite3.Connection, connection: str, flow: str) -> bool:
    return conn.execute(_PASS_DONE, (connection, flow, flow + ":audit")).fetchone() is not None


async def _first_pull_done(ctx: FlowContext, flow: str) -> bool:
    row = await ctx.store.fetchone(_PASS_DONE, (ctx.connection, flow, flow + ":audit"))
    return row is not None


async def _pull_queued(ctx: FlowContext, flow: str) -> bool:
    row = await ctx.store.fetchone(
        "SELECT 1 FROM jobs WHERE connection = ? AND state IN ('pending', 'leased')"
        " AND kind = 'pull' AND json_extract(payload, '$.flow') = ?",
        (ctx.connection, flow),
    )
    return row is not None


def _wait(ctx: FlowContext, job: Job, run: synclog.FullRun) -> Commit:
    """Look again later whether the flow's first change pull has finished its pass (a little
    less often the longer it takes)."""
    wait = min(30.0, max(0.5, 0.1 * (ctx.now() - run.started_at)))
    spec = slice_spec(run.run_id, str(job.payload["flow"]), job.payload.get("after"))
    again = replace(spec, run_at=ctx.now() + wait)

    def commit(conn: sqlite3.Connection) -> None:
        ctx.queue.note_in(conn, job, WAITING)
        ctx.queue.enqueue_in(conn, ctx.connection, again)

    return commit


async def _run(ctx: FlowContext, run_id: int) -> synclog.FullRun | None:
    row = await ctx.store.fetchone(
        "SELECT * FROM full_runs WHERE connection = ? AND run_id = ?", (ctx.connection, run_id)
    )
    return None if row is None else synclog.FullRun.from_row(row)


async def _products(ctx: FlowContext, items: Sequence[Any], run: synclog.FullRun) -> Commit:
    """Compare with the channel's copies; write only drift (and what was never written)."""
    hashes = await bulk_read.channel_hashes(ctx, run)
    commit, _ = await verify.repair_products(
        ctx, items, skip_verified_since=run.started_at, channel_hashes=hashes
    )
    return commit


async def _stock(ctx: FlowContext, items: Sequence[Any], run: synclog.FullRun) -> Commit:
    """Push every quantity (MISSION: a full stock sync pushes them all)."""
    levels = await _not_pushed_since(ctx, items, run.started_at)
    commit, _ = await verify.repair_stock(ctx, levels, read_channel=False)
    return commit


async def _not_pushed_since(
    ctx: FlowContext, levels: Sequence[StockLevel], since: float
) -> list[StockLevel]:
    """Every level except those already pushed with this quantity since the run started (by a
    change pull running beside it): a full stock sync pushes each quantity once."""
    skus = sorted({lvl.sku for lvl in levels})
    rows = await fetch_in(
        ctx.store,
        "SELECT sku, location, quantity FROM stock_state WHERE connection = ?"
        " AND pushed_at >= ? AND sku IN",
        (ctx.connection, since),
        skus,
    )
    fresh = {(r["sku"], r["location"]): r["quantity"] for r in rows}
    return [lvl for lvl in levels if fresh.get(lvl.key) != lvl.quantity]


#: How a full sync writes one page of each flow it covers. Flows whose writes are not
#: idempotent (creating customers, posting orders) stay out: a full pass beside their change
#: pull could create twice. Other modules may register theirs.
REPAIRS: dict[str, Repair] = {"products": _products, "stock": _stock}
