"""Timers of one connection: when to queue recent-change pulls.

The scheduler only enqueues; deduplication in the queue means a pull that is still pending
simply absorbs the next tick, so a slow source never piles up identical jobs. Ghost sweeps and
full syncs join here with the sync-semantics work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import structlog

from daemon.clock import Clock
from daemon.flows import pull_spec
from daemon.flows.pull import PULLS
from daemon.queue import JobSpec

log = structlog.get_logger("syncwright.scheduler")

Enqueue = Callable[[Sequence[JobSpec]], Awaitable[None]]


class Scheduler:
    def __init__(
        self, connection: str, flows: Sequence[str], recent: float, clock: Clock, enqueue: Enqueue
    ) -> None:
        self.connection = connection
        self.pull_flows = [f for f in flows if f in PULLS]
        self.recent = recent
        self.clock = clock
        self._enqueue = enqueue
        self.last_tick: float | None = None

    async def tick(self) -> None:
        """Queue one round of recent-change pulls."""
        if self.pull_flows:
            await self._enqueue([pull_spec(flow) for flow in self.pull_flows])
        self.last_tick = self.clock.now()

    async def run(self, once: bool = False) -> None:
        """Tick now, then every ``recent`` seconds (only once in burst mode)."""
        while True:
            await self.tick()
            if once:
                return
            await self.clock.sleep(self.recent)
