"""How long jobs take, as cumulative histograms per connection, class and kind.

The actor calls :meth:`JobTimings.observe` once per finished job (a dict update under a lock);
the metrics endpoint reads :meth:`JobTimings.snapshot` at scrape time. Plain Python, so the hot
path does not depend on the metrics library.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass

from syncwright.daemon.config.types import CLASS_NAMES

#: Upper bounds in seconds; the last, implicit bucket is +Inf.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)


@dataclass(frozen=True, slots=True)
class Timing:
    connection: str
    cls: str
    kind: str
    #: Per bucket (BUCKETS then +Inf), jobs that took at most that long; cumulative.
    cumulative: tuple[int, ...]
    total_seconds: float
    count: int


class JobTimings:
    """The histograms of one daemon (the supervisor's Services own it). Thread-safe: the
    metrics endpoint reads from its own thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, str], list[int]] = {}
        self._sums: dict[tuple[str, str, str], float] = {}

    def observe(self, connection: str, cls: int, kind: str, seconds: float) -> None:
        name = CLASS_NAMES[cls] if 0 <= cls < len(CLASS_NAMES) else str(cls)
        key = (connection, name, kind)
        seconds = max(0.0, seconds)
        index = bisect.bisect_left(BUCKETS, seconds)
        with self._lock:
            counts = self._counts.setdefault(key, [0] * (len(BUCKETS) + 1))
            counts[index] += 1
            self._sums[key] = self._sums.get(key, 0.0) + seconds

    def snapshot(self) -> list[Timing]:
        with self._lock:
            items = [(k, list(v), self._sums[k]) for k, v in self._counts.items()]
        out: list[Timing] = []
        for (connection, cls, kind), counts, total in items:
            running, cumulative = 0, []
            for n in counts:
                running += n
                cumulative.append(running)
            out.append(Timing(connection, cls, kind, tuple(cumulative), total, running))
        return out
