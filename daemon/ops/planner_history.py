"""The planner's inputs: a per-minute history of calls spent per system, kept in the state file,
and the reports built from it, live (in the daemon) or offline (from the state file alone).

The recorder runs in the daemon's task group and, once a minute, adds what each budget spent
since the last look (``Budget.spent_total``, ``Budget.rate_limited_total``) to that minute's
row of ``budget_history``; rows older than :data:`KEEP` are dropped. It reads counters only, so
the call path is not touched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import structlog
from anyio.abc import TaskStatus

from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.clock import Clock
from syncwright.daemon.config.model import Config
from syncwright.daemon.ops.planner import DAY, PlanReport, Sample, plan
from syncwright.daemon.store.db import Store

log = structlog.get_logger("syncwright.planner")

KEEP = 8 * DAY
EVERY = 60.0
_ADD = (
    "INSERT INTO budget_history (system, minute, calls, rate_limited) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (system, minute) DO UPDATE SET calls = calls + excluded.calls, "
    "rate_limited = rate_limited + excluded.rate_limited"
)
_SAMPLES = "SELECT system, minute, calls, rate_limited FROM budget_history WHERE minute >= ?"
_ITEMS = "SELECT connection, count(*) FROM links WHERE entity = 'product' GROUP BY connection"


class HistoryRecorder:
    """Writes the per-minute spend of every budget into ``budget_history``."""

    def __init__(self, budgets: Mapping[str, Budget], store: Store, clock: Clock) -> None:
        self.budgets = budgets
        self.store = store
        self.clock = clock
        self._seen: dict[str, tuple[float, int]] = {}

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        try:
            while True:
                await anyio.sleep(EVERY)
                await self._record_safely()
        finally:
            with anyio.CancelScope(shield=True):  # keep the last minute's spend on shutdown
                await self._record_safely()

    async def _record_safely(self) -> None:
        try:
            await self.record()
        except Exception:  # the history is a convenience; never stop the daemon for it
            log.exception("planner.record_failed")

    async def record(self) -> int:
        """Write what was spent since the last call; returns the number of rows touched."""
        now = self.clock.now()
        minute = int(now // 60)
        rows: list[tuple[str, int, float, int]] = []
        for name, budget in list(self.budgets.items()):
            spent, limited = budget.spent_total, budget.rate_limited_total
            last_spent, last_limited = self._seen.get(name, (0.0, 0))
            self._seen[name] = (spent, limited)
            calls, rl = max(0.0, spent - last_spent), max(0, limited - last_limited)
            if calls or rl:
                rows.append((name, minute, calls, rl))
        cutoff = int((now - KEEP) // 60)

        def write(conn: sqlite3.Connection) -> None:
            conn.executemany(_ADD, rows)
            conn.execute("DELETE FROM budget_history WHERE minute < ?", (cutoff,))

        await self.store.write(write)
        return len(rows)


def _samples(rows: Sequence[Sequence[Any]]) -> list[Sample]:
    return [Sample(str(r[0]), int(r[1]), float(r[2]), int(r[3])) for r in rows]


async def live_report(
    config: Config, budgets: Mapping[str, Budget], store: Store, clock: Clock
) -> PlanReport:
    """The report inside the daemon: history from the store, window usage from the budgets."""
    now = clock.now()
    samples = _samples(await store.fetchall(_SAMPLES, (int((now - DAY) // 60),)))
    items = {str(r[0]): int(r[1]) for r in await store.fetchall(_ITEMS)}
    used: dict[str, dict[str, float]] = {}
    resets: dict[str, dict[str, float | None]] = {}
    for name, budget in budgets.items():
        stats = budget.statistics()
        used[name] = {w.name: w.used for w in stats.windows}
        resets[name] = {w.name: w.resets_at for w in stats.windows}
    return plan(config, samples, now, items=items, used=used, resets=resets)


def offline_report(config: Config, now: Callable[[], float] | None = None) -> PlanReport:
    """The report without a daemon: the history and item counts read from the state file (if
    there is one yet; a file from before the history existed simply has none)."""
    import time

    at = (now or time.time)()
    samples: list[Sample] = []
    items: dict[str, int] = {}
    state: Path = config.daemon.state_file
    if state.is_file():
        try:
            conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5)
            try:
                items = {str(c): int(n) for c, n in conn.execute(_ITEMS).fetchall()}
                samples = _samples(conn.execute(_SAMPLES, (int((at - DAY) // 60),)).fetchall())
            finally:
                conn.close()
        except sqlite3.Error as exc:
            log.debug("planner.offline_partial", state_file=str(state), error=str(exc))
    return plan(config, samples, at, items=items)


def warn_if_unfit(report: PlanReport, when: str) -> None:
    """Log each planner warning (at start-up and after a reload)."""
    for warning in report.warnings:
        log.warning("budget.plan_unfit", when=when, problem=warning)
