"""Window arithmetic for budgets: the window spec, rolling sub-bucket ledgers, calendar periods.

A rolling window counts every sub-bucket that overlaps ``(now - length, now]``; a bucket is
counted until its end plus the window length, so the count is never lower than the truth. A
calendar window counts one bucket per period, keyed by the period start in the window's own
time zone (a calendar day is 23, 24 or 25 hours long around DST changes).

Buckets are keyed by their start as an epoch integer, which is also how they are stored in
``budget_usage``; rolling second windows are kept in memory only. What a server's quota header
makes a window hold back until the server's reset is a timed hold, kept apart from the buckets
(in memory only: the budget derives it again from the stored headers after a restart), so the
reset bounds it on every window kind and nothing of it outlives the reset in the state file.

A second window counts calls in flight: a call spent but not answered yet counts whatever its
age, and from its answer on like a call spent then. The server sees a call at some moment
between the two, so no span of the window's length at the server holds more than the limit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Rolling window lengths in seconds. A rolling month is 30 days.
WINDOW_SECONDS: dict[str, int] = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86_400,
    "month": 30 * 86_400,
}
#: A window named by its span ("30s", "5m", "2h"): rolling only, for limits such as 150 calls
#: per 30 seconds or 350 per 5 minutes.
_SPAN = re.compile(r"([1-9][0-9]{0,4})([smh])")
_UNIT = {"s": 1, "m": 60, "h": 3600}
MODES = ("rolling", "calendar")
#: Sub-buckets per rolling window: the count may run ahead of the truth by 1/60 of a window.
SUBBUCKETS = 60
#: A call in flight this long without an answer (its connector gave up on it) counts as
#: answered then.
MAX_FLIGHT = 120.0


def window_seconds(name: str) -> int:
    """The length of a rolling window: a named one (``WINDOW_SECONDS``) or a span ("5m")."""
    fixed = WINDOW_SECONDS.get(name)
    if fixed is not None:
        return fixed
    span = _SPAN.fullmatch(name)
    if span is None:
        raise ValueError(
            f"unknown budget window {name!r}: use one of {', '.join(WINDOW_SECONDS)},"
            " or a span such as 30s, 5m or 2h"
        )
    return int(span[1]) * _UNIT[span[2]]


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """One limit of a system: ``limit`` units per ``name`` window, rolling or calendar."""

    name: str
    limit: float
    mode: str = "rolling"
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        window_seconds(self.name)  # raises ValueError naming the choices
        if self.mode not in MODES:
            raise ValueError(
                f"unknown mode {self.mode!r} for the {self.name} window: use rolling or calendar"
            )
        if self.mode == "calendar" and self.name not in WINDOW_SECONDS:
            raise ValueError(f"a {self.name} window is rolling only: no calendar has that period")
        if not (math.isfinite(self.limit) and self.limit > 0):
            raise ValueError(f"the {self.name} window needs a positive limit, not {self.limit!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {self.timezone!r} for the {self.name} window"
            ) from exc

    @property
    def key(self) -> str:
        """The ``budget_usage.window`` value: a changed mode or zone is a different ledger."""
        if self.mode == "rolling":
            return self.name
        return f"{self.name}:calendar:{self.timezone}"


def calendar_period(name: str, tz: ZoneInfo, t: float) -> tuple[float, float]:
    """Start and end (epoch seconds) of the calendar period holding ``t`` in zone ``tz``.

    Local midnights that fall in a DST gap resolve (fold=0) to the transition instant, which is
    the first instant of that day, so days and months are DST-correct.
    """
    local = datetime.fromtimestamp(t, tz)
    if name == "day":
        start = datetime(local.year, local.month, local.day, tzinfo=tz)
        after = datetime.fromordinal(local.toordinal() + 1)
        end = datetime(after.year, after.month, after.day, tzinfo=tz)
        return start.timestamp(), end.timestamp()
    if name == "month":
        start = datetime(local.year, local.month, 1, tzinfo=tz)
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        return start.timestamp(), datetime(year, month, 1, tzinfo=tz).timestamp()
    if name == "hour":
        floored = local.replace(minute=0, second=0, microsecond=0)
    elif name == "minute":
        floored = local.replace(second=0, microsecond=0)
    else:
        floored = local.replace(microsecond=0)
    begin = floored.timestamp()  # replace() keeps fold, so a repeated DST hour stays distinct
    return begin, begin + WINDOW_SECONDS[name]


class Usage:
    """The usage ledger of one window. Not thread-safe: the Budget serialises access."""

    #: Expired rows are pruned from the store at most once per step.
    step = 1.0

    def __init__(self, spec: WindowSpec) -> None:
        self.spec = spec
        self.buckets: dict[int, float] = {}
        self.dirty: set[int] = set()
        self.pruned_before: int | None = None
        #: (until, amount): usage a server's header holds back until its reset (:meth:`hold`).
        self.holds: list[tuple[float, float]] = []
        #: token -> (sent at, amount): calls in flight (:meth:`launch`), second windows only.
        self.flights: dict[int, tuple[float, float]] = {}

    @property
    def counts_flights(self) -> bool:
        return self.spec.name == "second"

    @property
    def persisted(self) -> bool:
        return True

    def used(self, now: float) -> float:
        self.expire(now)
        return sum(self.buckets.values()) + self.held(now) + self.flying(now)

    def held(self, now: float) -> float:
        """What timed holds keep back at ``now`` (ended ones are dropped)."""
        if not self.holds:
            return 0.0
        self.holds = [(until, amount) for until, amount in self.holds if until > now]
        return sum(amount for _, amount in self.holds)

    def add(self, now: float, amount: float) -> None:
        self._put(self.current(now), amount)

    def flying(self, now: float) -> float:
        """What the calls in flight count at ``now``."""
        if not self.flights:
            return 0.0
        for token, (sent, amount) in list(self.flights.items()):
            if sent + MAX_FLIGHT <= now:
                del self.flights[token]
                self._put(self.current(sent + MAX_FLIGHT), amount)
        return sum(amount for _, amount in self.flights.values())

    def launch(self, now: float, token: int, amount: float) -> None:
        """A call costing ``amount`` goes out: it counts until :meth:`land`."""
        self.flights[token] = (now, amount)

    def land(self, now: float, token: int) -> None:
        """The call ``token`` was answered (or failed): it counts as spent now."""
        flight = self.flights.pop(token, None)
        if flight is not None:
            self.add(now, flight[1])

    def pending_releases(self, now: float) -> list[tuple[float, float]]:
        """(time, amount) the holds release, and the calls in flight if answered now."""
        landing = self.counted_until(now)
        return self.holds + [(landing, amount) for _, amount in self.flights.values()]

    def hold(self, now: float, amount: float, until: float | None) -> None:
        """Count ``amount`` of phantom usage: until ``until`` (the server's reset; at most a
        window's length or this period), or, without one, as usage spent now."""
        if amount <= 0:
            return
        if until is None:
            self._put(self.current(now), amount)
        elif until > now:
            longest = max(self.counted_until(now), now + window_seconds(self.spec.name))
            self.holds.append((min(until, longest), amount))

    def counted_until(self, now: float) -> float:
        """When usage spent at ``now`` stops counting."""
        raise NotImplementedError

    def remove(self, now: float, amount: float) -> None:
        """Take back up to ``amount``, newest bucket first; no bucket goes below zero."""
        self.expire(now)
        for key in sorted(self.buckets, reverse=True):
            if amount <= 0:
                break
            take = min(amount, self.buckets[key])
            amount -= take
            left = self.buckets[key] - take
            if left <= 1e-12:
                del self.buckets[key]
            else:
                self.buckets[key] = left
            self.dirty.add(key)

    def merge(self, rows: dict[int, float], now: float) -> None:
        """Take stored rows; a bucket known both here and there keeps the larger count."""
        for key, used in rows.items():
            if used > self.buckets.get(key, 0.0):
                self.buckets[key] = used
        self.expire(now)

    def take_dirty(self) -> list[tuple[int, float]]:
        """Changed buckets as (bucket_start, used); 0 means delete the row."""
        rows = [(key, self.buckets.get(key, 0.0)) for key in sorted(self.dirty)]
        self.dirty.clear()
        return rows

    def all_rows(self) -> list[tuple[int, float]]:
        self.dirty.clear()
        return sorted(self.buckets.items())

    def prune_cutoff(self, now: float) -> int | None:
        """Rows starting before the returned value are expired; None if nothing new expired."""
        cutoff = self.expired_before(now)
        if self.pruned_before is not None and cutoff < self.pruned_before + self.step:
            return None
        self.pruned_before = cutoff
        return cutoff

    def _put(self, key: int, amount: float) -> None:
        if amount <= 0:
            return
        self.buckets[key] = self.buckets.get(key, 0.0) + amount
        self.dirty.add(key)

    def current(self, now: float) -> int:
        raise NotImplementedError

    def expire(self, now: float) -> None:
        raise NotImplementedError

    def free_at(self, now: float, allowed: float) -> float:
        """Earliest time the count is at most ``allowed`` if nothing more is spent."""
        raise NotImplementedError

    def resets_at(self, now: float) -> float | None:
        raise NotImplementedError

    def expired_before(self, now: float) -> int:
        raise NotImplementedError


class RollingUsage(Usage):
    """Sub-buckets of 1/60 of the window, each counted until its end plus the window length."""

    def __init__(self, spec: WindowSpec) -> None:
        super().__init__(spec)
        self.length = float(window_seconds(spec.name))
        # Whole-second sub-buckets from a 2-second span up (persisted, like the minute window's);
        # a 30s window then has 30 of them and may run ahead of the truth by 1/30 of itself.
        self.step = (
            max(1.0, self.length / SUBBUCKETS) if self.length >= 2 else self.length / SUBBUCKETS
        )
        self._next_expiry = math.inf

    @property
    def persisted(self) -> bool:
        return self.step >= 1  # keys are whole seconds from the minute window up

    def current(self, now: float) -> int:
        return self._start(math.floor(now / self.step))

    def _start(self, index: int) -> int:
        # A second window's sub-buckets are shorter than a second: key them by index instead.
        return int(index * self.step) if self.persisted else index

    def _expiry(self, key: int) -> float:
        start = key if self.persisted else key * self.step
        return start + self.step + self.length

    def _put(self, key: int, amount: float) -> None:
        super()._put(key, amount)
        self._next_expiry = min(self._next_expiry, self._expiry(key))

    def counted_until(self, now: float) -> float:
        return self._expiry(self.current(now))

    def merge(self, rows: dict[int, float], now: float) -> None:
        if self.persisted:
            step = int(self.step)
            rows = {key // step * step: used for key, used in rows.items()}
        super().merge(rows, now)
        self._next_expiry = min((self._expiry(k) for k in self.buckets), default=math.inf)

    def expire(self, now: float) -> None:
        if now < self._next_expiry:
            return
        for key in [k for k in self.buckets if self._expiry(k) <= now]:
            del self.buckets[key]
            self.dirty.discard(key)
        self._next_expiry = min((self._expiry(k) for k in self.buckets), default=math.inf)

    def free_at(self, now: float, allowed: float) -> float:
        used = self.used(now)
        if used <= allowed:
            return now
        releases = [(self._expiry(k), v) for k, v in self.buckets.items()]
        releases += self.pending_releases(now)
        return _first_fit(used, allowed, releases)

    def resets_at(self, now: float) -> float | None:
        self.expire(now)
        return self._next_expiry if self.buckets else None

    def expired_before(self, now: float) -> int:
        return math.floor(now - self.length - self.step) + 1


class CalendarUsage(Usage):
    """One bucket per calendar period, keyed by the period's start."""

    def __init__(self, spec: WindowSpec) -> None:
        super().__init__(spec)
        self.tz = ZoneInfo(spec.timezone)
        self._period = (0.0, 0.0)

    def period(self, now: float) -> tuple[float, float]:
        if not self._period[0] <= now < self._period[1]:
            self._period = calendar_period(self.spec.name, self.tz, now)
        return self._period

    def current(self, now: float) -> int:
        return int(self.period(now)[0])

    def expire(self, now: float) -> None:
        start = self.current(now)
        for key in [k for k in self.buckets if k < start]:
            del self.buckets[key]
            self.dirty.discard(key)

    def free_at(self, now: float, allowed: float) -> float:
        used = self.used(now)
        if used <= allowed:
            return now
        if allowed < 0:
            return math.inf
        releases = self.pending_releases(now)
        if self.buckets:
            # Buckets ahead of the current period exist only after the clock went back.
            end = calendar_period(self.spec.name, self.tz, max(self.buckets))[1]
            releases.append((end, sum(self.buckets.values())))
        return _first_fit(used, allowed, releases)

    def counted_until(self, now: float) -> float:
        return self.period(now)[1]

    def resets_at(self, now: float) -> float | None:
        return self.period(now)[1]

    def expired_before(self, now: float) -> int:
        return self.current(now)


def _first_fit(used: float, allowed: float, releases: list[tuple[float, float]]) -> float:
    """The first of the (time, amount) releases after which ``used`` is at most ``allowed``."""
    for at, amount in sorted(releases):
        used -= amount
        if used <= allowed:
            return at
    return math.inf  # only when ``allowed`` is negative


def new_usage(spec: WindowSpec) -> Usage:
    return RollingUsage(spec) if spec.mode == "rolling" else CalendarUsage(spec)
