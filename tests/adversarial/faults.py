"""What goes wrong, request by request: switchable, seeded, bounded.

Each API request draws from the seeded generator: with probability ``rate`` it meets one of the
enabled faults, at most ``limit`` in all, so every scenario ends. Slow pages and a listing that
fails half-way are not drawn: they are on while asked for.
"""

from __future__ import annotations

import email.utils
import random
import threading
from dataclasses import dataclass, field
from typing import Literal

Fault = Literal[
    "429-seconds",  # Retry-After: <seconds>
    "429-date",  # Retry-After: <HTTP date on the source's clock>, with Date on that clock
    "429-past",  # Retry-After: an HTTP date already past on the source's clock
    "500",
    "503",
    "timeout",  # the answer comes after the client's timeout
    "truncated",  # a 200 whose body stops half-way
    "malformed",  # a 200 whose JSON is not the documented shape
]


@dataclass
class Faults:
    seed: int = 0
    enabled: tuple[Fault, ...] = ()
    rate: float = 0.0
    limit: int = 20
    #: Seconds a 429 asks the client to wait.
    retry_after: float = 1.0
    #: Seconds a "timeout" answer is held (longer than the client's timeout).
    hold: float = 2.0
    #: Seconds every change page takes to answer (a slow source), ...
    slow_pages: float = 0.0
    #: ... of this entity only ("products", "stock"; None: both).
    slow_entity: str | None = None
    #: A listing (not a change feed) fails with 500 from this page on (0: never), ...
    fail_listing_from_page: int = 0
    #: ... this many times.
    fail_listing_times: int = 0
    #: What happened, for the test to count: fault -> times.
    seen: dict[str, int] = field(default_factory=dict)
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def draw(self) -> Fault | None:
        """The fault this request meets, if any."""
        with self._lock:
            if not self.enabled or sum(self.seen.values()) >= self.limit:
                return None
            if self._rng.random() >= self.rate:
                return None
            fault = self._rng.choice(self.enabled)
            self.seen[fault] = self.seen.get(fault, 0) + 1
            return fault

    def listing_fails(self, page: int) -> bool:
        """Whether the listing's ``page``-th page (1-based) fails now."""
        with self._lock:
            if not self.fail_listing_from_page or page < self.fail_listing_from_page:
                return False
            if self.fail_listing_times <= 0:
                return False
            self.fail_listing_times -= 1
            self.seen["listing-500"] = self.seen.get("listing-500", 0) + 1
            return True

    def count(self) -> int:
        with self._lock:
            return sum(self.seen.values())


def http_date(epoch: float) -> str:
    return email.utils.formatdate(epoch, usegmt=True)
