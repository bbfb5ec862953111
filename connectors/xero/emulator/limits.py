"""Xero's rate limits per tenant (5 concurrent, 60 a minute, 5,000 a day) and per app (10,000
a minute), as rolling windows, with the headers Xero sends on every answer and on a 429.

Documented: the limits, the three ``X-*Limit-Remaining`` headers, 429 with ``Retry-After`` (in
seconds) and ``X-Rate-Limit-Problem``. Assumed: the windows roll (rather than reset on the
minute), the names ``appminute`` and ``concurrent`` of the other two problems, and that a
refused call does not count.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Limits:
    minute: int = 60
    day: int = 5000
    app_minute: int = 10000
    concurrent: int = 5
    clock: Callable[[], float] = time.time
    _minute_calls: deque[float] = field(default_factory=deque)
    _day_calls: deque[float] = field(default_factory=deque)
    active: int = 0
    refused: int = 0
    #: Most calls seen within any rolling minute (for tests: never above ``minute``).
    busiest_minute: int = 0
    #: Most calls seen in flight at once (for tests: never above ``concurrent``).
    busiest_concurrent: int = 0

    def enter(self) -> None:
        self.active += 1
        self.busiest_concurrent = max(self.busiest_concurrent, self.active)

    def _trim(self, now: float) -> None:
        while self._minute_calls and self._minute_calls[0] <= now - 60:
            self._minute_calls.popleft()
        while self._day_calls and self._day_calls[0] <= now - 86400:
            self._day_calls.popleft()

    def take(self) -> tuple[str, float] | None:
        """Count one call; or the problem and seconds to wait when a limit refuses it."""
        now = self.clock()
        self._trim(now)
        problem: tuple[str, float] | None = None
        if self.active >= self.concurrent:
            problem = ("concurrent", 1.0)
        elif len(self._day_calls) >= self.day:
            problem = ("day", self._day_calls[0] + 86400 - now)
        elif len(self._minute_calls) >= self.minute:
            problem = ("minute", self._minute_calls[0] + 60 - now)
        elif len(self._minute_calls) >= self.app_minute:
            problem = ("appminute", self._minute_calls[0] + 60 - now)
        if problem is not None:
            self.refused += 1
            return problem[0], max(1.0, math.ceil(problem[1]))
        self._minute_calls.append(now)
        self._day_calls.append(now)
        self.busiest_minute = max(self.busiest_minute, len(self._minute_calls))
        return None

    def exhaust_day(self) -> None:
        """Fault switch: the day's quota is spent (as if 5,000 calls were just made)."""
        now = self.clock()
        self._day_calls = deque([now] * self.day)

    def headers(self) -> dict[str, str]:
        now = self.clock()
        self._trim(now)
        return {
            "X-DayLimit-Remaining": str(max(0, self.day - len(self._day_calls))),
            "X-MinLimit-Remaining": str(max(0, self.minute - len(self._minute_calls))),
            "X-AppMinLimit-Remaining": str(max(0, self.app_minute - len(self._minute_calls))),
        }
