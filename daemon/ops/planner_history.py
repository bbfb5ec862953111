"""The planner's inputs: a per-minute history of calls spent per system, kept in the state file,
and the reports built from it, live (in the daemon) or offline (from the state file alone).

Each budget adds what it spends to that minute's row of ``budget_history`` in the same write
as its window usage (daemon/budget/persist.py), so a SIGKILL loses no more of the history than
of the budget itself. The recorder runs in the daemon's task group and marks, twice a minute,
that the daemon is running (a row with no calls for each system): the planner divides the calls
of the last hour or day by the minutes the daemon ran in it, not by the whole span, so a daemon
started ten minutes ago is not taken as one that spent an hour idle. Rows older than
:data:`KEEP` are dropped.
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
#: Often enough that no minute the daemon runs goes unmarked.
EVERY = 30.0
_MARK = (
    "INSERT INTO budget_history (system, minute, calls, rate_limited) VALUES (?, ?, 0, 0) "
    "ON CONFLICT (system, minute) DO NOTHING"
)
_SAMPLES = "SELECT system, minute, calls, rate_limited FROM budget_history WHERE minute >= ?"
_ITEMS = "SELECT connection, count(*) FROM links WHERE entity = 'product' GROUP BY connection"


class HistoryRecorder:
    """Marks in ``budget_history`` each minute the daemon runs (the budgets add the spend)."""

    def __init__(self, budgets: Mapping[str, Budget], store: Store, clock: Clock) -> None:
        self.budgets = budgets
        self.store = store
        self.clock = clock

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await self._record_safely()
            await anyio.sleep(EVERY)

    async def _record_safely(self) -> None:
        try:
            await self.record()
        except Exception:  # the history is a convenience; never stop the daemon for it
            log.exception("planner.record_failed")

    async def record(self) -> int:
        """Mark this minute as run for every system (drop expired rows); the number of rows
        added (0 when the minute was marked or spent in already)."""
        now = self.clock.now()
        minute = int(now // 60)
        rows = [(name, minute) for name in list(self.budgets)]
        cutoff = int((now - KEEP) // 60)
        added: list[int] = []

        def write(conn: sqlite3.Connection) -> None:
            before = conn.total_changes
            conn.executemany(_MARK, rows)
            added.append(conn.total_changes - before)
            conn.execute("DELETE FROM budget_history WHERE minute < ?", (cutoff,))

        await self.store.write(write)
        return added[0] if added else 0


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
