"""Timers of one connection: recent-change pulls, ghost sweeps and full syncs.

The scheduler only enqueues; deduplication in the queue means a pull or sweep that is still
pending simply absorbs the next tick, so a slow source never piles up identical jobs. The
ghost timer is kept in the state file (``connection_state.last_ghost_at``) and full syncs are
timed from their runs, so restarts neither skip nor repeat them. A full sync also starts on a
connection's first start: when no full run ever finished and none is in progress.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog

from syncwright.connectors.base import ProductIdLister
from syncwright.daemon import synclog
from syncwright.daemon.flows import deletions
from syncwright.daemon.flows import full as fulls
from syncwright.daemon.flows.context import FlowContext
from syncwright.daemon.flows.ghost import ghost_spec, linked_products, rotation_seconds
from syncwright.daemon.flows.pull import PULLS, pull_spec
from syncwright.daemon.flows.settings import connect_spec, settings_spec
from syncwright.daemon.jobs.job import JobSpec

log = structlog.get_logger("syncwright.scheduler")

Enqueue = Callable[[Sequence[JobSpec]], Awaitable[None]]

#: Look at the full-sync timer at least this often, whatever the other timers say.
FULL_CHECK = 600.0


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    ghost_interval: float = 3600.0
    ghost_batch: int = 10
    #: Seconds between scheduled full syncs; None: only the first one.
    full: float | None = 7 * 86400.0
    #: Seconds between deletion checks by id listing (flows/deletions.py); None: none.
    deletions: float | None = 3600.0


class Scheduler:
    def __init__(
        self,
        ctx: FlowContext,
        flows: Sequence[str],
        recent: float,
        enqueue: Enqueue,
        schedule: ScheduleSettings = ScheduleSettings(),
    ) -> None:
        self.ctx = ctx
        self.connection = ctx.connection
        self.flows = tuple(flows)
        self.pull_flows = [f for f in flows if f in PULLS]
        self.recent = recent
        self.schedule = schedule
        self.clock = ctx.clock
        self._enqueue = enqueue
        self.last_tick: float | None = None
        self._next_ghost = math.inf
        self._next_deletions = math.inf

    async def tick(self) -> None:
        """Queue one round of recent-change pulls (and the settings check). On the first round
        after start-up, also the connect job: price list and store settings on the channel."""
        specs = [pull_spec(flow) for flow in self.pull_flows]
        if self.last_tick is None and {"settings", "prices"} & set(self.flows):
            if not await self._connected():
                # It pushes the settings itself when the connection syncs them.
                specs.append(connect_spec(settings="settings" in self.flows))
        if "settings" in self.flows and not any(s.kind == "connect" for s in specs):
            specs.append(settings_spec())
        if specs:
            await self._enqueue(specs)

    async def _connected(self) -> bool:
        """Whether this connection's channel was set up before (price list or settings)."""
        row = await self.ctx.store.fetchone(
            "SELECT 1 FROM links WHERE connection = ? AND entity = 'price_list'"
            " UNION ALL SELECT 1 FROM item_state WHERE connection = ? AND entity = 'settings'"
            " LIMIT 1",
            (self.connection, self.connection),
        )
        return row is not None

    async def run(self, once: bool = False) -> None:
        """Start-up checks, then each timer when it is due (one round only in burst mode)."""
        await self._log_rotation()
        next_recent = next_full = self.clock.now()
        while True:
            now = self.clock.now()
            if now >= next_recent:
                await self.tick()
                next_recent = now + self.recent
            if now >= self._next_ghost or self.last_tick is None:
                await self.check_ghost()
            if now >= self._next_deletions or self.last_tick is None:
                await self.check_deletions()
            if now >= next_full:  # after the pulls: a first-start run waits for them
                await self.check_full(first_start=self.last_tick is None)
                next_full = now + min(FULL_CHECK, self.schedule.full or FULL_CHECK)
            self.last_tick = now
            if once:
                return
            wake = min(next_recent, self._next_ghost, self._next_deletions, next_full)
            await self.clock.sleep(max(0.0, wake - self.clock.now()))

    # -- ghost sweeps ----------------------------------------------------------------------

    @property
    def sweeps(self) -> bool:
        return "products" in self.flows

    async def check_ghost(self) -> bool:
        """Queue a sweep if one is due; the first look only starts the timer."""
        if not self.sweeps:
            return False
        ctx, every = self.ctx, self.schedule.ghost_interval
        now = self.clock.now()
        row = await ctx.store.fetchone(
            "SELECT last_ghost_at FROM connection_state WHERE connection = ?", (self.connection,)
        )
        last = None if row is None else row["last_ghost_at"]
        due = last is not None and last + every <= now
        if last is not None and not due:
            self._next_ghost = last + every
            return False
        spec = ghost_spec(self.schedule.ghost_batch, stock="stock" in self.flows) if due else None

        def save(conn: sqlite3.Connection) -> None:
            synclog.touch_ghost(conn, self.connection, now)
            if spec is not None:
                ctx.queue.enqueue_in(conn, self.connection, spec)

        await ctx.store.write(save)
        self._next_ghost = now + every
        if spec is not None:
            ctx.queue.notify(self.connection)
            log.info("ghost.queued", connection=self.connection, batch=self.schedule.ghost_batch)
        return spec is not None

    # -- deletions by absence ---------------------------------------------------------------

    @property
    def deletion_interval(self) -> float | None:
        """How often linked products are checked against a complete listing of the source;
        None when not at all (no products flow, or audit pulls list everything anyway)."""
        ctx = self.ctx
        audit = ctx.settings.pull_mode == "audit" or ctx.source.capabilities.cursor == "none"
        if not self.sweeps or audit:
            return None
        lists_ids = isinstance(self.ctx.source, ProductIdLister)
        return deletions.interval(lists_ids, self.schedule.deletions, self.schedule.full)

    async def check_deletions(self) -> bool:
        """Queue a deletion check if one is due; the first look only starts the timer."""
        every = self.deletion_interval
        if every is None:
            return False
        ctx, now = self.ctx, self.clock.now()
        last = await deletions.last_check(ctx)
        if last is not None and last + every > now:
            self._next_deletions = last + every
            return False
        due = last is not None

        def save(conn: sqlite3.Connection) -> None:
            deletions.touch(conn, self.connection, now)
            if due:
                ctx.queue.enqueue_in(conn, self.connection, deletions.deletions_spec())

        await ctx.store.write(save)
        self._next_deletions = now + every
        if due:
            ctx.queue.notify(self.connection)
            log.info("deletions.queued", connection=self.connection, interval=every)
        return due

    async def _log_rotation(self) -> None:
        if not self.sweeps:
            return
        links = await linked_products(self.ctx)
        batch, every = self.schedule.ghost_batch, self.schedule.ghost_interval
        seconds = rotation_seconds(links, batch, every)
        log.info(
            "ghost.rotation",
            connection=self.connection,
            links=links,
            batch=batch,
            interval=every,
            rotation_seconds=seconds,
            rotation_days=round(seconds / 86400, 1),
        )

    # -- full syncs ------------------------------------------------------------------------

    async def check_full(self, *, first_start: bool) -> int | None:
        ctx = self.ctx
        now = self.clock.now()
        reason = await fulls.due(
            ctx.store, self.connection, self.schedule.full, now, first_start=first_start
        )
        if reason is None:
            return None
        return await fulls.start(ctx.store, ctx.queue, self.connection, self.flows, reason, now)
