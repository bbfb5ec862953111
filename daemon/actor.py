"""One connection's actor: its scheduler, a dispatcher that leases jobs, and the job workers.

The dispatcher leases only jobs that can run now: their class may spend on the budget of every
system they call (a pull of new orders calls the channel alone, so order intake never waits
for the back office's share), and nothing they hold while running (a flow's write lock, an
order) is held by a running job. So a job is never taken and put back, and never waits on a
lock in a worker slot. Of ``workers`` slots, one is always kept for class 0 (sale-time work,
order intake included): lower classes may fill at most ``workers - 1``.

Each leased job runs in its own task through the connection's :class:`Worker`
(daemon/worker.py): the handler's commit and the job's completion in one transaction, failures
through the pure retry policy. The budgets learn what the job's calls cost when it ends.
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import structlog
from anyio.abc import TaskGroup, TaskStatus

from syncwright.connectors.base import ChannelConnector, Connector, SourceConnector, SystemSpec
from syncwright.connectors.errors import PermanentError
from syncwright.daemon import flows, synclog
from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.clock import Clock
from syncwright.daemon.events_bus import Event, EventHub
from syncwright.daemon.flows import full, manual
from syncwright.daemon.flows.context import FlowContext, FlowMemory, FlowSettings
from syncwright.daemon.jobs.job import Job, JobSpec, LeaseFilter
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.jobs.retry import RetryPolicy
from syncwright.daemon.ops.job_timing import JobTimings
from syncwright.daemon.scheduler import Scheduler, ScheduleSettings
from syncwright.daemon.store.db import Store
from syncwright.daemon.worker import Worker

log = structlog.get_logger("syncwright.actor")

#: Longest the dispatcher sleeps without looking again (a safety net, not the wake-up path).
MAX_IDLE = 300.0
#: A job of a lower class (below the best one leased) that has been ready this long takes the
#: next low-class slot before the better classes (one such job per lease): a steady stream of
#: 2 s pulls or webhook checks cannot starve ghost sweeps and full-sync slices.
PROMOTE_AFTER = 60.0
#: Burst mode stops when what is left may not spend for longer than this.
BURST_HORIZON = 60.0


@dataclass(frozen=True, slots=True)
class ActorSettings:
    name: str
    source: SystemSpec[Any]
    channel: SystemSpec[Any]
    flows: tuple[str, ...]
    flow: FlowSettings
    workers: int
    recent: float
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)


@dataclass(slots=True)
class Services:
    """What every actor shares, built once by the supervisor."""

    store: Store
    queue: Queue
    clock: Clock
    policy: RetryPolicy
    budgets: dict[str, Budget]
    #: One connector per system, shared by every connection that uses it (one HTTP pool).
    connectors: dict[str, Connector] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)
    #: What the flows keep between jobs (read-ahead pages, order locks, bulk reads).
    memory: FlowMemory = field(default_factory=FlowMemory)
    #: How long jobs take, for the metrics endpoint.
    timings: JobTimings = field(default_factory=JobTimings)

    @property
    def hub(self) -> EventHub:
        """The daemon's event hub: the one its store announces committed writes to."""
        return self.store.hub


@dataclass(frozen=True, slots=True)
class ActorStats:
    name: str
    state: str
    pause_reason: str | None
    running: tuple[tuple[int, str, int], ...]  # (job id, kind, class)
    jobs_done: int
    jobs_failed: int
    last_error: str | None


class Actor:
    def __init__(self, settings: ActorSettings, services: Services, *, burst: bool = False):
        self.settings = settings
        self.services = services
        self.burst = burst
        self.name = settings.name
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{settings.name}"
        self.state = "starting"
        self.pause_reason: str | None = None
        #: The runs in progress, by their lease (a job id can be running twice: a run whose
        #: lease ran out, and the run that leased the job after it).
        self.running: dict[str | None, Job] = {}
        self._stopping = False
        self.log = log.bind(connection=self.name)
        self.worker = Worker(
            self.name,
            services,
            self.log,
            on_auth_failed=lambda reason: self.pause(reason, state="auth_failed"),
        )
        self.scheduler: Scheduler | None = None
        #: The wake-up the dispatcher waits on after a look that started nothing (None while
        #: it looks); :meth:`settled` returns while it is unset.
        self._waiting: anyio.Event | None = None
        self._looked = anyio.Event()

    # -- control -------------------------------------------------------------------------

    def wake(self) -> None:
        self.services.queue.notify(self.name)

    def stop(self) -> None:
        """Take no new jobs; :meth:`run` returns once the running ones finish."""
        self._stopping = True
        self.wake()

    async def enqueue(self, specs: Sequence[JobSpec]) -> None:
        await self.services.queue.enqueue_many(self.name, list(specs))
        self.wake()

    async def pause(self, reason: str, *, state: str = "paused") -> None:
        self.state, self.pause_reason = state, reason
        now = self.services.clock.now()

        await self.services.store.write(lambda c: synclog.save_pause(c, self.name, reason, now))
        self.log.warning("connection.paused", reason=reason, state=state)
        if self.services.hub.active:
            self.services.hub.publish(
                Event("connection.paused", now, connection=self.name, detail=reason)
            )

    async def resume(self) -> None:
        now = self.services.clock.now()
        await self.services.store.write(lambda c: synclog.save_pause(c, self.name, None, now))
        self.state, self.pause_reason = "running", None
        self.log.info("connection.resumed")
        if self.services.hub.active:
            self.services.hub.publish(Event("connection.resumed", now, connection=self.name))
        self.wake()

    def statistics(self) -> ActorStats:
        return ActorStats(
            name=self.name,
            state=self.state,
            pause_reason=self.pause_reason,
            running=tuple((j.id, j.kind, j.cls) for j in self.running.values()),
            jobs_done=self.worker.jobs_done,
            jobs_failed=self.worker.jobs_failed,
            last_error=self.worker.last_error,
        )

    async def idle(self) -> bool:
        """Scheduled once, no job running and none pending that its budget lets run within
        BURST_HORIZON (burst mode's stop condition: work held back for a later budget window
        stays queued for the next run)."""
        if self.running or self.scheduler is None or self.scheduler.last_tick is None:
            return False
        channel = self.services.budgets[self.settings.channel.name]
        waiting = [c for c in range(5) if self._class_wait(c) <= BURST_HORIZON]
        alone = [c for c in range(5) if channel.wait_time(c) <= BURST_HORIZON]
        row = await self.services.store.fetchone(
            "SELECT 1 FROM jobs WHERE connection = ? AND (state = 'leased' OR (state = 'pending'"
            f" AND (class IN ({','.join('?' * len(waiting))}) OR (class IN"
            f" ({','.join('?' * len(alone))}) AND {flows.channel_only_sql()})))) LIMIT 1",
            (self.name, *waiting, *alone),
        )
        return row is None

    async def settled(self) -> None:
        """Until the dispatcher has looked at the queue since the last wake-up and waits,
        having leased what it could (those runs are in :attr:`running`): without a new
        wake-up (a job enqueued or finished, a budget change) nothing else starts. Tests run
        an actor "until settled" instead of sleeping and hoping nothing more starts."""
        while True:
            await self._looked.wait()
            waiting = self._waiting
            if waiting is not None and not waiting.is_set():
                return
            await anyio.lowlevel.checkpoint()  # woken: the dispatcher is about to look again

    def _class_wait(self, cls: int) -> float:
        specs = (self.settings.source, self.settings.channel)
        return max(self.services.budgets[spec.name].wait_time(cls) for spec in specs)

    # -- operator requests (the control socket calls these) ------------------------------

    async def start_full_sync(self, flows: Sequence[str] | None = None) -> int | None:
        """Clear and sync all (or ``flows``): a new full run; its id, None if nothing to do."""
        chosen = [f for f in (flows or self.settings.flows) if f in self.settings.flows]
        svc = self.services
        return await full.start(
            svc.store, svc.queue, self.name, chosen, "operator", svc.clock.now()
        )

    async def sync_item(self, flow: str, id_or_sku: str) -> None:
        """Sync one product (with its stock) or one SKU's stock now, at class 1."""
        await self.enqueue(
            [manual.sync_item_spec(flow, id_or_sku, stock="stock" in self.settings.flows)]
        )

    async def sync_now(self) -> None:
        """Smart sync now: the change pulls at class 1 (a pending pull is lifted, not doubled)."""
        await self.enqueue(manual.sync_now_specs(self.settings.flows))

    # -- life ----------------------------------------------------------------------------

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        s, svc = self.settings, self.services
        source = svc.connectors[s.source.name]
        channel = svc.connectors[s.channel.name]
        if not isinstance(source, SourceConnector) or not isinstance(channel, ChannelConnector):
            raise PermanentError(
                f"{self.name}: {s.source.kind} -> {s.channel.kind} is not a "
                "back office -> channel pair"
            )
        ctx = FlowContext(
            self.name, s.flow, source, channel, svc.store, svc.queue, svc.clock, svc.memory
        )
        await self._load_pause()
        self.scheduler = Scheduler(ctx, s.flows, s.recent, self.enqueue, s.schedule)
        async with anyio.create_task_group() as tg:
            tg.start_soon(self.scheduler.run, self.burst, name=f"{self.name}.scheduler")
            tg.start_soon(self._renew_leases, name=f"{self.name}.leases")
            task_status.started()
            await self._dispatch(ctx)
            tg.cancel_scope.cancel()

    async def _load_pause(self) -> None:
        row = await self.services.store.fetchone(
            "SELECT paused, pause_reason FROM connection_state WHERE connection = ?", (self.name,)
        )
        if row is not None and row["paused"]:
            self.state, self.pause_reason = "paused", row["pause_reason"]
        else:
            self.state = "running"

    def _allowed(self) -> tuple[frozenset[int], frozenset[int]]:
        """The classes every job may spend in now (both budgets let them), and the further
        classes open only to the jobs that call the channel alone (flows.channel_only_sql)."""
        source = self.services.budgets[self.settings.source.name].allowed_classes()
        channel = self.services.budgets[self.settings.channel.name].allowed_classes()
        return source & channel, channel - source

    def _budget_wait(self, blocked: frozenset[int]) -> float:
        waits = [
            self.services.budgets[spec.name].wait_time(cls)
            for cls in blocked
            for spec in (self.settings.source, self.settings.channel)
        ]
        return min([w for w in waits if w > 0] or [MAX_IDLE])

    async def _dispatch(self, ctx: FlowContext) -> None:
        q = self.services.queue
        async with anyio.create_task_group() as jobs:
            while not self._stopping:
                wakeup = q.signal(self.name)  # taken before looking: no wake-up is lost
                timeout = MAX_IDLE
                if self.state == "running":
                    both, alone = self._allowed()
                    allowed = both | alone
                    # A read first: an idle connection costs no write transaction.
                    due = await q.next_run_at(self.name, sorted(allowed)) if allowed else None
                    now = self.services.clock.now()
                    if due is not None and due <= now:
                        # Nothing may be leasable (busy claims, a class open to channel jobs
                        # only): then wait for a job to end or a budget to free.
                        leased = await self._lease(both, alone)
                        for job in leased:
                            self._start(jobs, job, ctx)
                        if leased:
                            continue
                    elif due is not None:
                        timeout = due - now
                    blocked = frozenset(range(5)) - both
                    if blocked:
                        timeout = min(timeout, self._budget_wait(blocked))
                self._waiting = wakeup
                self._looked.set()
                with anyio.move_on_after(max(0.01, timeout)):
                    await wakeup.wait()
                self._waiting, self._looked = None, anyio.Event()
            self.state = "stopping"

    async def _lease(self, both: frozenset[int], alone: frozenset[int]) -> list[Job]:
        """Fill free slots with jobs that can run now (:meth:`_filter`): class 0 may take
        any, lower classes at most ``workers - 1``, the oldest job ready for longer than
        :data:`PROMOTE_AFTER` first (whatever its class), then class order."""
        q, workers = self.services.queue, max(2, self.settings.workers)
        allowed = both | alone
        leased: list[Job] = []
        free = workers - len(self.running)
        if free > 0 and 0 in allowed:
            leased += await q.lease(self.name, self.owner, [0], free, self._filter(alone, []))
        low = sorted(allowed - {0})
        busy_low = sum(1 for j in self.running.values() if j.cls)
        room = min(free - len(leased), workers - 1 - busy_low)
        if room > 0 and len(low) > 1:  # fairness: a class waiting too long goes first, once
            before = self.services.clock.now() - PROMOTE_AFTER
            starved = await q.oldest_overdue(self.name, low, before)
            if starved is not None:
                only = self._filter(alone, leased)
                taken = await q.lease(self.name, self.owner, [starved], 1, only)
                leased, room = leased + taken, room - len(taken)
        if room > 0 and low:
            only = self._filter(alone, leased)
            leased += await q.lease(self.name, self.owner, low, room, only)
        return leased

    def _filter(self, alone: frozenset[int], leased: Sequence[Job]) -> LeaseFilter:
        """Jobs that can run now: nothing they claim is held by a running (or just leased)
        job, and in a class of ``alone`` only the jobs that call the channel alone."""
        busy = {
            claim
            for job in (*self.running.values(), *leased)
            for claim in flows.claims(job.kind, job.payload)
        }
        parts: list[str] = []
        params: list[Any] = []
        if busy:
            claimed, claimed_params = flows.claimed_sql(busy)
            parts.append(f"NOT {claimed}")
            params += claimed_params
        if alone:
            marks = ",".join("?" * len(alone))
            parts.append(f"(class NOT IN ({marks}) OR {flows.channel_only_sql()})")
            params += sorted(alone)
        return LeaseFilter(" AND ".join(parts) or "1", tuple(params), flows.claims)

    def _start(self, tg: TaskGroup, job: Job, ctx: FlowContext) -> None:
        self.running[job.lease_owner] = job
        tg.start_soon(self._run_job, job, ctx, name=f"{self.name}.job-{job.id}")

    async def _run_job(self, job: Job, ctx: FlowContext) -> None:
        try:
            await self.worker.run(job, ctx)
        finally:
            self.running.pop(job.lease_owner, None)
            with anyio.CancelScope(shield=True):
                await self._flush_budgets()
            self.wake()

    async def _flush_budgets(self) -> None:
        """Save what the job's responses told the budgets (blocks, real costs)."""
        for spec in (self.settings.source, self.settings.channel):
            budget = self.services.budgets[spec.name]
            if budget.dirty:
                await budget.flush(self.services.store)

    async def _renew_leases(self) -> None:
        interval = max(1.0, self.services.queue.lease_seconds / 3)
        while True:
            await anyio.sleep(interval)
            if self.running:
                await self.services.queue.renew(list(self.running.values()))
