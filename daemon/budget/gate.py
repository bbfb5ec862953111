"""The connectors' call gate for one budget: spend before each call, learn from each answer.

A connector calls :meth:`BudgetGate.acquire` before a request and :meth:`BudgetGate.report`
with the response. The gate spends for the priority class of the job running in this task
(:data:`current_class`, set by the worker), waits a little when the budget will allow the call
soon, and otherwise refuses it as rate limited, so the job is rescheduled instead of holding
a worker. A job that has already spent in this run (a page read, part of it written) waits
longer, up to ``long_wait`` (a 30 s or one-minute window's turn): refused, it would start its
work again from the beginning, and a page needing more calls than one window allows would
never finish. The spend is persisted before the call goes out (a restart never forgets it).

A budget with a second window is also smoothed: calls go out at most one per ``1/limit``
seconds (aiolimiter's leaky bucket, one call deep), and the window counts each call from its
spend to its answer as in flight (daemon/budget/windows.py), so no span of a second at the
server ever holds more calls than the limit, however long calls take to reach it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from contextvars import ContextVar

from aiolimiter import AsyncLimiter

from syncwright.connectors.errors import PermanentError, RateLimitedError
from syncwright.daemon.budget.budget import CLASS_NAMES, Budget
from syncwright.daemon.clock import iso
from syncwright.daemon.store.db import Store

#: The priority class of the job running in this task; the worker sets it.
current_class: ContextVar[int] = ContextVar("budget_class", default=2)
#: Calls the running job has spent in this run, on every gate (the worker starts each run at
#: zero; None outside a job). A list, so the tasks a job starts (batches written side by side)
#: add to the same count.
run_spent: ContextVar[list[int] | None] = ContextVar("budget_run_spent", default=None)
#: How long a job that has spent in this run may wait for its budget before it is refused.
LONG_WAIT = 90.0
#: (gate, estimated cost, flight token) of the last acquire in this task, to land the call
#: and reconcile its cost on report.
_last_spend: ContextVar[tuple[BudgetGate, float, int] | None] = ContextVar(
    "budget_spend", default=None
)
#: Calls spent in this task per system (estimate, corrected by a reported real cost), when a
#: caller wants to know what it was charged (a dry-run plan, daemon/flows/plan.py); else None.
call_tally: ContextVar[dict[str, float] | None] = ContextVar("budget_tally", default=None)


def land_unanswered() -> None:
    """The last call of this task is over, answered or not (the worker calls this when a job
    ends: a call that raised never reported)."""
    last = _last_spend.get()
    if last is not None:
        _last_spend.set(None)
        last[0].budget.landed(last[2])


class BudgetGate:
    """The connectors' CallGate for one budget: spends for the running job's class (from
    :data:`current_class`) and persists the spend before the call goes out."""

    def __init__(
        self, budget: Budget, store: Store, *, max_wait: float = 2.0, long_wait: float = LONG_WAIT
    ) -> None:
        self.budget = budget
        self.store = store
        self.max_wait = max_wait
        self.long_wait = long_wait
        self._pacer: AsyncLimiter | None = None

    async def acquire(self, cost: float = 1.0) -> None:
        """Spend ``cost`` now, or after a short wait (at most ``max_wait`` in all, or
        ``long_wait`` for a job that has spent in this run: it keeps what it did); otherwise
        raise RateLimitedError(local=True) with the wait as ``retry_after``."""
        cls = current_class.get()
        land_unanswered()  # this task's previous call is over: it is making another
        await self._pace()
        clock = self.budget.clock
        spent = run_spent.get()
        patience = max(self.max_wait, self.long_wait) if spent and spent[0] > 0 else self.max_wait
        deadline = clock.now() + patience
        while (token := self.budget.spend_call(cls, cost)) is None:
            wait = self.budget.wait_time(cls, cost)
            what = f"class {cls} ({CLASS_NAMES.get(cls, 'unknown')})"
            if math.isinf(wait):
                raise PermanentError(
                    f"a call costing {cost:g} is more than {what} may ever spend from this "
                    f"budget: raise the window limits or lower the reserve",
                    system=self.budget.system,
                )
            if clock.now() + wait > deadline:
                window = self.budget.limiting_window(cls, cost) or "minute"
                held = "block" if window == "block" else f"{window} window"
                raise RateLimitedError(
                    f"waiting for the local budget: its {held} lets {what} spend again at "
                    f"{iso(clock.now() + wait)} (in {wait:.0f} s); a wait, not a failure",
                    retry_after=wait,
                    system=self.budget.system,
                    local=True,
                )
            await clock.sleep(max(wait, 1e-3))
        _last_spend.set((self, cost, token))
        if spent is not None:
            spent[0] += 1
        self._tally(cost)
        await self.budget.flush(self.store)

    def _tally(self, cost: float) -> None:
        tally = call_tally.get()
        if tally is not None:
            tally[self.budget.system] = tally.get(self.budget.system, 0.0) + cost

    async def _pace(self) -> None:
        """Spread a second window's calls evenly (nothing to do without one)."""
        interval = self.budget.pace_interval()
        if interval is None:
            return
        if self._pacer is None or self._pacer.time_period != interval:  # new, or reloaded
            self._pacer = AsyncLimiter(1, interval)
        await self._pacer.acquire()

    def report(self, status: int, headers: Mapping[str, str], *, cost: float | None = None) -> None:
        """Pass the server's answer on; ``cost``, if given, is the call's real cost."""
        last = _last_spend.get()
        mine = last is not None and last[0] is self
        if last is not None and mine:
            _last_spend.set(None)
            self.budget.landed(last[2])
        self.budget.observe(status, headers)
        if cost is not None and math.isfinite(cost) and cost >= 0:
            estimate = last[1] if last is not None and mine else 0.0
            self.budget.adjust(cost - estimate)
            self._tally(cost - estimate)
