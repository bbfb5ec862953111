"""The emulator's cost bucket (per shop) and its fault-injection switches.

The bucket leaks upwards: it refills at ``restore_rate`` points per second up to ``size``. A
query is refused up front (THROTTLED) when its requested cost exceeds what is available; after
it runs, the difference between requested and actual cost is refunded.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Bucket:
    size: float = 2000.0
    restore_rate: float = 100.0
    clock: Callable[[], float] = time.monotonic
    available: float = -1.0
    stamp: float = 0.0

    def __post_init__(self) -> None:
        if self.available < 0:
            self.available = self.size
        self.stamp = self.clock()

    def refill(self) -> float:
        now = self.clock()
        self.available = min(self.size, self.available + (now - self.stamp) * self.restore_rate)
        self.stamp = now
        return self.available

    def take(self, cost: float) -> bool:
        if self.refill() < cost:
            return False
        self.available -= cost
        return True

    def refund(self, points: float) -> None:
        self.available = min(self.size, self.available + max(points, 0.0))

    def status(self) -> dict[str, Any]:
        return {
            "maximumAvailable": float(self.size),
            "currentlyAvailable": int(self.refill()),
            "restoreRate": float(self.restore_rate),
        }


@dataclass
class Faults:
    """Switches for tests and benchmarks; all off by default."""

    error_rate: float = 0.0  # share of calls answered 502
    slow_seconds: float = 0.0  # delay before every answer
    drop_rate: float = 0.0  # share of calls whose connection is cut mid-answer
    malformed_rate: float = 0.0  # share of calls answered 200 with broken JSON
    throttle_429_rate: float = 0.0  # share of calls answered 429 with Retry-After
    bulk_fail_rate: float = 0.0  # share of bulk operations that end FAILED
    #: Root fields (e.g. "priceListFixedPricesAdd") whose calls are answered 502 every time.
    fail_fields: frozenset[str] = frozenset()
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    def update(self, values: dict[str, Any]) -> None:
        for name in (
            "error_rate",
            "slow_seconds",
            "drop_rate",
            "malformed_rate",
            "throttle_429_rate",
            "bulk_fail_rate",
        ):
            if name in values:
                value = float(values[name])
                if value < 0 or (name.endswith("rate") and value > 1):
                    raise ValueError(f"{name} out of range: {value}")
                setattr(self, name, value)
        if "fail_fields" in values:
            names = values["fail_fields"]
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ValueError("fail_fields should be a list of field names")
            self.fail_fields = frozenset(names)
