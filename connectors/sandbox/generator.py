"""Background generators of the sandboxes: random work at a steady, adjustable rate.

``RateGenerator`` runs any ``apply(rng, count) -> done`` on the database thread, ``rate``
times a second on average; ``ChangeGenerator`` edits the back office's catalogue and stock,
and the shop's order generator (order_generator.py) places orders.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import anyio

from syncwright.connectors.sandbox.erp.store import ErpStore
from syncwright.connectors.sandbox.web import DbWorker

TICK_SECONDS = 0.1
#: A stalled loop must not turn into one giant transaction when it wakes up.
MAX_PER_TICK = 5000

Apply = Callable[[random.Random, int], int]


class RateGenerator:
    """Calls ``apply`` with a due count every tick; ``applied`` sums what it reports done."""

    def __init__(self, apply: Apply, db: DbWorker, *, rate: float, seed: int) -> None:
        self.set_rate(rate)
        self.applied = 0
        self._apply = apply
        self._db = db
        self._rng = random.Random(seed + 1)
        #: Held while a tick decides and applies: :meth:`settle` waits for the one in flight.
        self._busy = anyio.Lock()

    def set_rate(self, rate: float) -> None:
        if rate < 0 or rate != rate:
            raise ValueError("rate must be a number per second, 0 or more")
        self.rate = rate

    async def settle(self) -> None:
        """Until the tick in flight (if any) has applied its work: after ``set_rate(0)`` and
        this, ``applied`` is final and nothing more is applied."""
        async with self._busy:
            pass

    def statistics(self) -> dict[str, float]:
        return {"rate": self.rate, "applied": self.applied}

    async def run(self) -> None:
        """Run until cancelled; a rate of 0 idles cheaply and picks up a new rate within a tick."""
        carry = 0.0
        last = anyio.current_time()
        while True:
            await anyio.sleep(TICK_SECONDS)
            async with self._busy:  # the rate is read under the lock settle() takes
                now = anyio.current_time()
                if self.rate <= 0:
                    carry, last = 0.0, now
                    continue
                carry += self.rate * (now - last)
                last = now
                count = min(int(carry), MAX_PER_TICK)
                carry -= int(carry)
                if count:
                    self.applied += await self._db.run(self._apply, self._rng, count)


class ChangeGenerator(RateGenerator):
    """Edits random titles, prices and stock quantities, ``rate`` changes per second on average."""

    def __init__(self, store: ErpStore, db: DbWorker, *, rate: float, seed: int) -> None:
        super().__init__(store.random_changes, db, rate=rate, seed=seed)
