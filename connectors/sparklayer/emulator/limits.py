"""The emulator's rate limit and fault switches.

SparkLayer publishes no numeric rate limit [assumed]: the emulator counts calls in fixed
one-minute windows per site (``--rate-limit``, default 120) and answers a call over it with
429, an RFC 7807 body and ``Retry-After`` in seconds (the documented retry signal). Every
answer carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
(seconds to the window's end) [assumed names, the common ones], which the daemon's budget
reads. ``quota`` models a spent plan: after that many more calls every call is a 429 for an
hour.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WINDOW = 60.0


@dataclass
class RateWindow:
    limit: int = 120
    clock: Callable[[], float] = time.monotonic
    start: float = -1.0
    used: int = 0

    def take(self) -> tuple[bool, dict[str, str], float]:
        """Count one call; (allowed, headers, seconds to the window's end)."""
        now = self.clock()
        if self.start < 0 or now - self.start >= WINDOW:
            self.start, self.used = now, 0
        left = max(0.0, WINDOW - (now - self.start))
        allowed = self.used < self.limit
        if allowed:
            self.used += 1
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.used)),
            "X-RateLimit-Reset": str(int(left + 0.999)),
        }
        return allowed, headers, left


@dataclass
class Faults:
    """Switches for tests and benchmarks; all off by default. Rates are shares of calls;
    ``*_next`` counters fail exactly that many coming calls (deterministic tests)."""

    error_rate: float = 0.0  # answered 500/502/503 with a problem body or none
    slow_seconds: float = 0.0  # delay before every answer (timeouts)
    drop_rate: float = 0.0  # the connection is cut mid-answer
    malformed_rate: float = 0.0  # 200 with a body that is not JSON
    truncated_rate: float = 0.0  # 200 with half a JSON body
    throttle_429_rate: float = 0.0  # 429 with Retry-After
    conflict_rate: float = 0.0  # writes answered 409 (concurrent update)
    #: After the write is applied, the answer is lost (timeout after commit).
    lose_answer_rate: float = 0.0
    error_next: int = 0
    throttle_next: int = 0
    conflict_next: int = 0
    drop_next: int = 0
    lose_answer_next: int = 0
    malformed_next: int = 0
    truncated_next: int = 0
    #: Calls left on the plan (None: unlimited); then 429 for an hour.
    quota: int | None = None
    retry_after: float = 2.0
    rng: random.Random = field(default_factory=lambda: random.Random(11))

    RATES = (
        "error_rate",
        "slow_seconds",
        "drop_rate",
        "malformed_rate",
        "truncated_rate",
        "throttle_429_rate",
        "conflict_rate",
        "lose_answer_rate",
        "retry_after",
    )
    COUNTERS = (
        "error_next",
        "throttle_next",
        "conflict_next",
        "drop_next",
        "lose_answer_next",
        "malformed_next",
        "truncated_next",
    )

    def roll(self, rate: float, counter: str | None = None) -> bool:
        if counter is not None and getattr(self, counter) > 0:
            setattr(self, counter, getattr(self, counter) - 1)
            return True
        return rate > 0 and self.rng.random() < rate

    def update(self, values: dict[str, Any]) -> None:
        for name in self.RATES:
            if name in values:
                value = float(values[name])
                if value < 0 or (name.endswith("rate") and value > 1):
                    raise ValueError(f"{name} out of range: {value}")
                setattr(self, name, value)
        for name in self.COUNTERS:
            if name in values:
                setattr(self, name, max(0, int(values[name])))
        if "quota" in values:
            self.quota = None if values["quota"] is None else max(0, int(values["quota"]))

    def spend_quota(self) -> bool:
        """False when the plan's calls are spent."""
        if self.quota is None:
            return True
        if self.quota <= 0:
            return False
        self.quota -= 1
        return True
