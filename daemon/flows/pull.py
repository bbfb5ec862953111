"""Change pulls: one page per job, the cursor moving only with applied data (audit mode, for
sources without a change cursor or when config asks for it, is in audit.py).

A ``pull`` job reads one page of changes, writes what differs to the channel, and commits in
one transaction: the items' new state, the cursor's progress, the job's completion and, when
the pass is not finished, the job for the next page. A crash anywhere before that commit
re-reads the same page; a crash after it continues with the next. When a pass completes, the
cursor's high-water token, moved back by how long the pass took, becomes the start of the next
pass (minus the overlap window).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from syncwright.connectors.base import ChangeQuery, CursorKind, ListQuery, Page
from syncwright.connectors.errors import PermanentError
from syncwright.daemon import synclog
from syncwright.daemon.flows import audit, products, stock
from syncwright.daemon.flows import cursor as cursors
from syncwright.daemon.flows.context import Commit, FlowContext
from syncwright.daemon.jobs.job import Job, JobClass, JobSpec
from syncwright.daemon.jobs.queue import Queue


@dataclass(frozen=True, slots=True)
class PullFlow:
    """A flow whose changes are pulled page by page.

    ``fetch`` asks for changes since a cursor (cursor mode); ``list_all`` lists everything by
    id (audit mode and full syncs); ``apply`` writes what differs and returns the commit;
    ``cursor_kind`` says which kind of change token the side being read has ("none": audit).
    """

    name: str
    fetch: Callable[[FlowContext, ChangeQuery], Awaitable[Page[Any]]]
    apply: Callable[[FlowContext, Sequence[Any]], Awaitable[Commit]]
    list_all: Callable[[FlowContext, ListQuery], Awaitable[Page[Any]]] | None = None
    cursor_kind: Callable[[FlowContext], CursorKind] = lambda ctx: ctx.source.capabilities.cursor
    #: A flow whose first pass this one's first pass follows (stock follows products: levels
    #: of products not yet on the channel would only be parked and written twice). While that
    #: pass runs, a page of this flow's first pass waits until ``ready`` says the channel has
    #: what its items need; the two passes run side by side, this one a little behind.
    waits_for: str | None = None
    ready: Callable[[FlowContext, Sequence[Any]], Awaitable[bool]] | None = None
    #: The class of the flow's scheduled pulls, and of every page of a pass after its first: an
    #: operator's "sync now" lifts the page it merges into, not the whole pass.
    cls: int = JobClass.RECENT
    #: The system the pull reads ("source": the back office, which its apply writes to the
    #: channel; "channel": the channel alone, e.g. new orders, which only queue jobs). A
    #: channel pull is admitted on the channel's budget alone (daemon/actor.py).
    reads: Literal["source", "channel"] = "source"

    def next_page_class(self, job: Job) -> int:
        """The class of the job for the page after ``job``'s: the pass's own class, never the
        higher class one page of it was lifted to."""
        return max(job.cls, self.cls)


async def _fetch_products(ctx: FlowContext, query: ChangeQuery) -> Page[Any]:
    return await ctx.source.changed_products(query)


async def _apply_products(ctx: FlowContext, items: Sequence[Any]) -> Commit:
    return products.record(ctx, await products.push_products(ctx, items))


async def _fetch_stock(ctx: FlowContext, query: ChangeQuery) -> Page[Any]:
    return await ctx.source.changed_stock(query)


async def _apply_stock(ctx: FlowContext, items: Sequence[Any]) -> Commit:
    return stock.record(ctx, await stock.push_levels(ctx, items))


async def _list_products(ctx: FlowContext, query: ListQuery) -> Page[Any]:
    return await ctx.source.list_products(query)


async def _list_stock(ctx: FlowContext, query: ListQuery) -> Page[Any]:
    return await ctx.source.list_stock(query)


#: Every pulled flow by name. Modules of other flows register theirs here at import.
PULLS: dict[str, PullFlow] = {
    "products": PullFlow("products", _fetch_products, _apply_products, _list_products),
    "stock": PullFlow(
        "stock",
        _fetch_stock,
        _apply_stock,
        _list_stock,
        waits_for="products",
        ready=stock.all_linked,
    ),
}


def pull_spec(flow: str, cls: int | None = None) -> JobSpec:
    """A pull of ``flow``'s next page; ``cls`` None: the flow's own class."""
    if cls is None:
        known = PULLS.get(flow)
        cls = known.cls if known is not None else JobClass.RECENT
    return JobSpec(kind="pull", cls=cls, payload={"flow": flow}, dedup_key=f"pull:{flow}")


async def pull_page(ctx: FlowContext, job: Job) -> Commit:
    flow_name = str(job.payload.get("flow", ""))
    flow = PULLS.get(flow_name)
    if flow is None:
        raise PermanentError(f"no change pull for flow {flow_name!r}")
    kind = flow.cursor_kind(ctx)
    if kind == "none" or ctx.settings.pull_mode == "audit":
        return await audit.audit_page(
            ctx, job, flow, pull_spec(flow_name, flow.next_page_class(job))
        )
    cur = await cursors.load(ctx.store, ctx.connection, flow_name)
    if cur.in_pass:
        since, after = cur.pass_since, cur.pass_after
    else:
        since, after = cursors.start_of_pass(kind, cur.value, ctx.settings.overlap), None
    started = cur.pass_started if cur.in_pass and cur.pass_started is not None else ctx.now()
    page_size = min(ctx.settings.page_size, ctx.source.capabilities.max_page_size)
    query = ChangeQuery(since=since, after=after, limit=page_size)
    # Pages read ahead belong to this connector object: one rebuilt by a reload never gets a
    # page its predecessor read.
    ahead = ctx.memory.readahead
    scope = f"{ctx.connection}#{id(ctx.source)}"
    held = ahead.take(scope, flow_name, query)
    page = held[0] if held is not None else await flow.fetch(ctx, query)
    if held is not None and not cur.in_pass:  # a first page read earlier and held
        started -= max(0.0, time.monotonic() - held[1])
    if cur.value is None and not await _may_go(ctx, flow, page.items):
        # A first pass ahead of the one it follows: hold the page, look again soon (the
        # other pass's next page wakes this job).
        ahead.keep(scope, flow_name, query, page, held[1] if held else None)
        return _again_soon(ctx, pull_spec(flow_name, job.cls))
    high = cursors.later(kind, cur.pass_high, page.last_key[0] if page.last_key else None)
    follow = cursors.continuation(page, after, f"{flow_name} changes")
    if follow is None:
        resume = cursors.resume_point(kind, high, ctx.now() - started)
        new = cursors.Cursor(value=cursors.later(kind, cur.value, resume))
        next_query = None
    else:
        new = replace(
            cur,
            pass_since=since,
            pass_after=follow,
            pass_high=high,
            pass_started=started,
            pass_pages=(cur.pass_pages if cur.in_pass else 0) + 1,
            pass_items=(cur.pass_items if cur.in_pass else 0) + len(page.items),
        )
        next_query = ChangeQuery(since=since, after=follow, limit=page_size)
    # The next page is read while this one is written (flows/readahead.py).
    apply = await ahead.beside(
        scope,
        flow_name,
        next_query,
        lambda q: flow.fetch(ctx, q),
        flow.apply(ctx, page.items),
    )
    now = ctx.now()

    def commit(conn: sqlite3.Connection) -> None:
        apply(conn)
        cursors.save(conn, ctx.connection, flow_name, new, now)
        if new.pass_after is None:
            synclog.touch_partial(conn, ctx.connection, now)
            _wake_waiting(ctx.queue, conn, ctx.connection, flow_name, now)
        else:
            next_page = pull_spec(flow_name, flow.next_page_class(job))
            ctx.queue.enqueue_in(conn, ctx.connection, next_page)
            if cur.value is None:  # a first pass: the passes following it may go on now
                _wake_followers(ctx.queue, conn, ctx.connection, flow_name, now)
                _stage_pass_progress(conn, ctx.connection, flow_name, new, now)

    return commit


def _stage_pass_progress(
    conn: sqlite3.Connection, connection: str, flow: str, cur: cursors.Cursor, now: float
) -> None:
    from syncwright.daemon.ops import work  # ops reads the store; flows only announce

    work.stage_pass_progress(conn, connection, flow, cur, now)


#: How long a first pass held back waits before it looks again by itself (pages of the pass it
#: follows wake it sooner).
WAIT_FOR_FIRST_PASS = 1.0


async def _may_go(ctx: FlowContext, flow: PullFlow, items: Sequence[Any]) -> bool:
    """Whether a page of ``flow``'s first pass may be applied now: yes unless the pass it
    follows is still running and the channel lacks what these items need."""
    if flow.waits_for is None:
        return True
    if flow.ready is not None and await flow.ready(ctx, items):
        return True
    return not await _first_pass_running(ctx, flow.waits_for)


async def _first_pass_running(ctx: FlowContext, flow: str | None) -> bool:
    """Whether ``flow``'s first pass has not finished yet and its pull is queued or running."""
    if flow is None:
        return False
    row = await ctx.store.fetchone(
        "SELECT 1 FROM jobs WHERE connection = ? AND kind = 'pull' AND state IN"
        " ('pending', 'leased') AND json_extract(payload, '$.flow') = ?"
        " AND NOT EXISTS (SELECT 1 FROM cursors WHERE connection = ? AND flow = ?"
        " AND value IS NOT NULL) LIMIT 1",
        (ctx.connection, flow, ctx.connection, flow),
    )
    return row is not None


def _wake_waiting(
    queue: Queue, conn: sqlite3.Connection, connection: str, flow: str, now: float
) -> None:
    """A pass of ``flow`` finished: pulls that wait for it, and a first start's full-sync slice
    of the flow (flows/full.py waits for the first pass), need not wait for their next look.
    Jobs that failed before (attempts > 0) keep their retry time."""
    queue.hurry_in(conn, connection, "full", flow, now, untried_only=True)
    _wake_followers(queue, conn, connection, flow, now)


def _wake_followers(
    queue: Queue, conn: sqlite3.Connection, connection: str, flow: str, now: float
) -> None:
    """Pulls of the flows that follow ``flow`` run now instead of at their next look."""
    for name, other in PULLS.items():
        if other.waits_for == flow:
            queue.hurry_in(conn, connection, "pull", name, now)


def _again_soon(ctx: FlowContext, spec: JobSpec) -> Commit:
    later = replace(spec, run_at=ctx.now() + WAIT_FOR_FIRST_PASS)

    def commit(conn: sqlite3.Connection) -> None:
        ctx.queue.enqueue_in(conn, ctx.connection, later)

    return commit


async def stock_waiting(ctx: FlowContext, job: Job) -> Commit:
    outcomes, more = await stock.write_waiting(ctx)
    apply = stock.record(ctx, outcomes)

    def commit(conn: sqlite3.Connection) -> None:
        apply(conn)
        if more:
            ctx.queue.enqueue_in(
                conn,
                ctx.connection,
                JobSpec(kind="stock_waiting", cls=job.cls, dedup_key="stock_waiting"),
            )

    return commit
