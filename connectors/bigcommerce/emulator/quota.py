"""The store's shared request quota (one 30 s window for every app) and the fault switches.

Documented (platform-apis.md §6.3): a quota per store shared by all apps, refreshed every 30 s
(Standard/Plus 150, Pro 450); ``X-Rate-Limit-Time-Window-Ms``, ``-Time-Reset-Ms``,
``-Requests-Quota``, ``-Requests-Left`` on every answer; 429 with those headers when it is
spent; a 429 without them when the platform is overloaded. Assumed: the window is fixed (it
starts with the first call after the previous one ended), not sliding.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class Quota:
    def __init__(
        self, quota: int = 150, window_ms: int = 30_000, clock: Callable[[], float] | None = None
    ) -> None:
        self.quota = quota
        self.window_ms = window_ms
        self.clock = clock or time.monotonic
        self.started = self.clock()
        self.used = 0
        #: Calls "another app" spends from the same quota, per call of ours (a share) and once.
        self.other_app_share = 0.0
        self._other_debt = 0.0
        #: The most calls seen in any one window (benchmarks and fault tests check it).
        self.peak = 0

    def _roll(self) -> float:
        now = self.clock()
        elapsed = (now - self.started) * 1000
        if elapsed >= self.window_ms:
            self.started = now
            self.used = 0
            elapsed = 0
        return self.window_ms - elapsed

    def spend_other(self, calls: int) -> None:
        self._roll()
        self.used = min(self.quota, self.used + calls)

    def take(self) -> bool:
        """Count one call; False when the window is spent (answer 429)."""
        self._roll()
        if self.used >= self.quota:
            return False
        self.used += 1
        self._other_debt += self.other_app_share
        while self._other_debt >= 1 and self.used < self.quota:
            self._other_debt -= 1
            self.used += 1
        self.peak = max(self.peak, self.used)
        return True

    def headers(self) -> dict[str, str]:
        reset = self._roll()
        return {
            "X-Rate-Limit-Time-Window-Ms": str(self.window_ms),
            "X-Rate-Limit-Time-Reset-Ms": str(max(1, int(reset))),
            "X-Rate-Limit-Requests-Quota": str(self.quota),
            "X-Rate-Limit-Requests-Left": str(max(0, self.quota - self.used)),
        }


@dataclass
class Faults:
    """Switches for tests and benchmarks; all off by default. Rates are shares of calls."""

    error_rate: float = 0.0  # 500 with BigCommerce's error body
    slow_seconds: float = 0.0  # delay before every answer (a client timeout shorter: timeouts)
    drop_rate: float = 0.0  # connection cut mid-answer, before the request is applied
    drop_after_write_rate: float = 0.0  # a write applied, then the connection cut
    malformed_rate: float = 0.0  # 200 with broken JSON
    truncated_rate: float = 0.0  # 200 whose body stops half-way
    storm_429_rate: float = 0.0  # 429 with the quota headers
    overload_429_rate: float = 0.0  # 429 without them (platform overload)
    seed: int = 7
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    def update(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if key not in self.__dataclass_fields__ or key == "rng":
                raise KeyError(f"unknown fault {key!r}")
            setattr(self, key, type(getattr(self, key))(value))
        if "seed" in values:
            self.rng = random.Random(self.seed)
