"""The store's quota is shared with every app installed there: what BigCommerce says is left
lowers the daemon's budget (daemon/budget) until the store's window resets. Fake clock, no
sleeping: the emulator's quota and the budget read the same clock."""

from __future__ import annotations

from collections.abc import Mapping

from syncwright.connectors.bigcommerce.emulator.quota import Quota
from syncwright.connectors.bigcommerce.transport import QuotaGate
from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.windows import WindowSpec
from syncwright.daemon.clock import FakeClock


class Observing:
    """The budget's side of the gate: what the connector reports goes to ``observe``."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget

    async def acquire(self, cost: float = 1.0) -> None:
        return None

    def report(self, status: int, headers: Mapping[str, str], *, cost: float | None = None) -> None:
        self.budget.observe(status, headers)


def test_another_app_s_spending_holds_our_budget_until_the_reset() -> None:
    clock = FakeClock()
    budget = Budget("bc", [WindowSpec("second", 5), WindowSpec("minute", 300)], clock=clock)
    quota = Quota(150, 30_000, clock=clock.now)
    gate = QuotaGate(Observing(budget))
    quota.spend_other(148)  # another app spent nearly all of this window
    assert quota.take()  # our call, answered with the headers
    gate.report(200, quota.headers())
    assert gate.left == 1
    assert budget.try_spend(0)  # the one the store still has
    assert not budget.try_spend(0)  # then we wait, instead of meeting a 429
    assert 0 < budget.wait_time(0) <= 30
    clock.advance(30.5)  # the store's window resets
    assert budget.try_spend(0)


def test_a_429_blocks_the_budget_for_the_reset_time() -> None:
    clock = FakeClock()
    budget = Budget("bc", [WindowSpec("second", 5), WindowSpec("minute", 300)], clock=clock)
    quota = Quota(150, 30_000, clock=clock.now)
    gate = QuotaGate(Observing(budget))
    quota.spend_other(150)
    assert not quota.take()
    clock.advance(10)
    gate.report(429, quota.headers())  # reset in 20 s
    assert not budget.try_spend(0)
    wait = budget.wait_time(0)
    assert 20 <= wait <= 30  # the reset, plus the budget's own jitter
    clock.advance(wait + 0.1)
    assert budget.try_spend(0)
