"""Fault switches and the monthly quota of the emulated account."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

RATES = ("error_rate", "drop_rate", "malformed_rate", "truncated_rate", "throttle_429_rate")


@dataclass
class Faults:
    """Switches for tests and benchmarks; all off by default."""

    error_rate: float = 0.0  # share of calls answered 500
    drop_rate: float = 0.0  # share of calls whose connection is cut mid-answer
    malformed_rate: float = 0.0  # share answered 200 with a body that is not JSON
    truncated_rate: float = 0.0  # share answered 200 with the JSON cut short
    throttle_429_rate: float = 0.0  # share answered 429 with Retry-After (a burst limit)
    slow_seconds: float = 0.0  # delay before every answer (client timeouts)
    #: "METHOD /path-prefix": the next such write is applied and then answered 500 (its
    #: answer lost on the way back), once per entry, e.g. "POST /SalesOrders".
    fail_after: tuple[str, ...] = ()
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    def update(self, values: dict[str, Any]) -> None:
        for name in (*RATES, "slow_seconds"):
            if name in values:
                value = float(values[name])
                if value < 0 or (name.endswith("rate") and value > 1):
                    raise ValueError(f"{name} out of range: {value}")
                setattr(self, name, value)
        if "fail_after" in values:
            self.fail_after = tuple(str(v) for v in values["fail_after"])
        if "seed" in values:
            self.rng = random.Random(int(values["seed"]))


@dataclass
class Quota:
    """The account's monthly call quota: every signed request counts, webhooks do not; at the
    limit every request is refused with ``status`` until the 1st of the next month (UTC)."""

    limit: int | None = None
    status: int = 429
    used: int = 0
    month: tuple[int, int] = (0, 0)
    warned: list[int] = field(default_factory=list)  # 90 and 95 once crossed

    def spend(self, now: datetime) -> bool:
        """Count one call at ``now``; False when the quota is spent (the call is refused)."""
        month = (now.year, now.month)
        if month != self.month:
            self.month, self.used, self.warned = month, 0, []
        if self.limit is not None and self.used >= self.limit:
            return False
        self.used += 1
        if self.limit:
            for mark in (90, 95):
                if mark not in self.warned and self.used * 100 >= self.limit * mark:
                    self.warned.append(mark)
        return True

    def status_view(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "used": self.used,
            "status": self.status,
            "warned": self.warned,
        }
