"""The emulator's rate limit (one 5-minute window per retailer) and its fault switches.

Documented (x-series-api.lightspeedhq.com "Rate Limiting"): 300 x registers + 50 requests per
5 minutes; ``X-RateLimit-Limit`` and ``X-RateLimit-Remaining`` on responses; 429 with body
``{"error":"Too Many Requests","message":"Rate limiting enforced"}`` and ``Retry-After`` as an
HTTP date. Assumed: the window is fixed (aligned to multiples of 300 s since the epoch), and a
refused request does not count.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

WINDOW = 300.0


@dataclass
class RateLimit:
    registers: int = 1
    clock: Callable[[], float] = time.time
    #: None: 300 x registers + 50.
    override: int | None = None
    start: float = 0.0
    used: int = 0
    refused: int = 0

    @property
    def limit(self) -> int:
        return self.override if self.override is not None else 300 * self.registers + 50

    def _roll(self) -> None:
        now = self.clock()
        start = now - now % WINDOW
        if start != self.start:
            self.start, self.used = start, 0

    def take(self) -> bool:
        self._roll()
        if self.used >= self.limit:
            self.refused += 1
            return False
        self.used += 1
        return True

    def exhaust(self) -> None:
        self._roll()
        self.used = self.limit

    def headers(self) -> dict[str, str]:
        self._roll()
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.used)),
        }

    def retry_after(self, seconds: float | None = None) -> str:
        """The HTTP date of the window's end (or ``seconds`` from now, for fault storms)."""
        when = self.start + WINDOW if seconds is None else self.clock() + seconds
        return formatdate(when, usegmt=True)


@dataclass
class Faults:
    """Switches for tests and benchmarks; all off by default."""

    error_rate: float = 0.0  # share of calls answered 500
    slow_seconds: float = 0.0  # delay before every answer (client timeouts)
    drop_rate: float = 0.0  # share of calls whose connection is cut mid-answer
    malformed_rate: float = 0.0  # share of calls answered 200 with broken JSON
    truncated_rate: float = 0.0  # share of calls answered 200 with half the body
    throttle_429_rate: float = 0.0  # share of calls answered 429 (a storm at 1.0)
    #: The Retry-After of those 429s, seconds from now (None: the window's end).
    throttle_retry_seconds: float | None = None
    #: Fail the next N sale creates *after* storing them (the answer is lost on the way back).
    lose_sale_answers: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(5))

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    def update(self, values: dict[str, Any]) -> None:
        for name in (
            "error_rate",
            "slow_seconds",
            "drop_rate",
            "malformed_rate",
            "truncated_rate",
            "throttle_429_rate",
        ):
            if name in values:
                value = float(values[name])
                if value < 0 or (name.endswith("rate") and value > 1):
                    raise ValueError(f"{name} out of range: {value}")
                setattr(self, name, value)
        if "throttle_retry_seconds" in values:
            given = values["throttle_retry_seconds"]
            self.throttle_retry_seconds = None if given is None else float(given)
        if "lose_sale_answers" in values:
            self.lose_sale_answers = int(values["lose_sale_answers"])
