"""Multi-window API budgets per system: class reserves, server feedback, persisted usage.

One Budget per system (API account), shared by every connection that uses it. A priority class
may spend only while, after the call, at least ``reserve[class] x limit`` remains in every
window, so when a window runs low sweeps and full syncs pause first and orders still go through.
The server's word wins: a 429 blocks the whole account (Retry-After plus added jitter, or
exponential backoff), and remaining-quota headers can only lower what we think is left (until
the server's reset, when it gives one). A second window counts calls in flight until their
answer (:meth:`Budget.spend_call`, :meth:`Budget.landed`).

Usage buckets and blocks live in the store, so a restart never hands out a fresh day. Time
comes from the injected clock, and nothing runs in the background: an idle budget is a few
dicts. Window arithmetic is in daemon/budget/windows.py, header parsing in headers.py, the
SQL in persist.py, and the connectors' gate that spends before each call in gate.py.

Over 400 lines on purpose: what is left here (the spending rules, the server's blocks and
quota hints, and the dirty-tracking that persists them) all reads and writes the same window
ledgers under one lock, so that a spend, a 429 and a flush from the store's writer thread
never interleave. Split apart, each part would reach into the others' state.
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import structlog

from syncwright.connectors.http import parse_retry_after
from syncwright.daemon.budget.headers import QuotaHint, kept_headers, quota_hints
from syncwright.daemon.budget.persist import LOAD_STATE, LOAD_USAGE, BudgetRows, headers_from_json
from syncwright.daemon.budget.windows import Usage, WindowSpec, new_usage, window_seconds
from syncwright.daemon.clock import Clock, iso
from syncwright.daemon.events_bus import Event, EventHub
from syncwright.daemon.store.db import Store

__all__ = [
    "DEFAULT_RESERVE",
    "Budget",
    "BudgetRows",
    "BudgetStats",
    "WindowSpec",
    "WindowStats",
]

DEFAULT_RESERVE: Mapping[int, float] = {0: 0.0, 1: 0.05, 2: 0.15, 3: 0.30, 4: 0.30}
CLASS_NAMES = {0: "sale", 1: "manual", 2: "recent", 3: "ghost", 4: "full"}
#: Longest wait for a 429 that came without Retry-After; a Retry-After is capped at MAX_BLOCK.
MAX_BACKOFF = 300.0
MAX_BLOCK = 31 * 86_400.0
MAX_JITTER = 30.0

log = structlog.get_logger("syncwright.budget")


@dataclass(frozen=True, slots=True)
class WindowStats:
    name: str
    mode: str
    timezone: str
    limit: float
    used: float
    remaining: float
    #: Calendar: the period end. Rolling: when the oldest counted usage expires (None: none).
    resets_at: float | None
    reserve: dict[int, float]


@dataclass(frozen=True, slots=True)
class BudgetStats:
    system: str
    taken_at: float
    #: Set only while the account is blocked.
    blocked_until: float | None
    block_reason: str | None
    last_headers: dict[str, str]
    allowed_classes: frozenset[int]
    windows: tuple[WindowStats, ...]


class Budget:
    """The budget of one system. Thread-safe: :meth:`persist` may run in the store's writer."""

    def __init__(
        self,
        system: str,
        windows: Sequence[WindowSpec],
        reserve: Mapping[int, float] | None = None,
        *,
        clock: Clock,
        rng: random.Random | None = None,
        hub: EventHub | None = None,
    ) -> None:
        self.system = system
        self.clock = clock
        #: The daemon's event hub, told of blocks (None: nobody is told).
        self.hub = hub
        self._rng = rng if rng is not None else random.Random()
        self._lock = threading.RLock()
        self._windows: dict[str, Usage] = {}
        self._reserve: dict[int, float] = dict(DEFAULT_RESERVE)
        self._drop: set[str] = set()
        self._blocked_until = 0.0
        self._block_reason: str | None = None
        self._strikes = 0
        self._flights = 0
        self._last_headers: dict[str, str] = {}
        self._state_dirty = False
        #: Since start-up: calls spent (estimates reconciled) and 429 answers, for the metrics
        #: and the planner's history (daemon/ops/planner_history.py).
        self.spent_total = 0.0
        self.rate_limited_total = 0
        #: Spend per minute not yet in ``budget_history``: written with the usage it goes
        #: with, so a SIGKILL loses no more of the planner's history than of the budget.
        self._history: dict[int, list[float]] = {}
        self.reconfigure(windows, reserve)

    # Configuration and start-up.

    def reconfigure(
        self, windows: Sequence[WindowSpec], reserve: Mapping[int, float] | None = None
    ) -> None:
        """New limits and reserves; usage is kept (and carried over if a window's mode changed)."""
        names = [spec.name for spec in windows]
        if len(set(names)) != len(names):
            raise ValueError(f"budget {self.system}: each window may appear once, got {names}")
        merged = {**DEFAULT_RESERVE, **(reserve or {})}
        for cls, fraction in merged.items():
            if not 0.0 <= fraction <= 1.0:
                raise ValueError(
                    f"budget {self.system}: reserve of class {cls} must be between "
                    f"0 and 1, not {fraction!r}"
                )
        with self._lock:
            now = self.clock.now()
            kept: dict[str, Usage] = {}
            for spec in windows:
                old = self._windows.get(spec.name)
                if old is not None and old.spec.key == spec.key:
                    old.spec = spec
                    kept[spec.name] = old
                    continue
                kept[spec.name] = new_usage(spec)
                if old is not None:  # mode or zone changed: carry what was counted, to be safe
                    kept[spec.name].hold(now, old.used(now), None)
                    self._drop.add(spec.name)
            self._windows = kept
            self._reserve = merged

    async def load(self, store: Store) -> None:
        """Restore usage and the block from the store; call once at start."""
        rows = await store.fetchall(LOAD_USAGE, (self.system,))
        state = await store.fetchone(LOAD_STATE, (self.system,))
        stored: dict[str, dict[int, float]] = {}
        for key, start, used in rows:
            stored.setdefault(str(key), {})[int(start)] = float(used)
        with self._lock:
            now = self.clock.now()
            for name, usage in self._windows.items():
                usage.merge(stored.pop(usage.spec.key, {}), now)
                # Rows of the same window under an older mode or zone: count what may still
                # count, once, in the current bucket.
                horizon = now - window_seconds(name) - usage.step
                others = [b for key, b in stored.items() if key.split(":")[0] == name]
                carried = sum(u for b in others for start, u in b.items() if start > horizon)
                if others:
                    usage.hold(now, carried, None)
                    self._drop.add(name)
            if state is not None:
                if (state[0] or 0.0) > self._blocked_until:
                    self._blocked_until, self._block_reason = float(state[0]), state[1]
                self._last_headers = self._last_headers or headers_from_json(state[2])
                # What the last quota headers held back until the server's reset is not
                # stored as usage: hold it again for what is left of it.
                said_at = float(state[3] or 0.0)
                for hint in quota_hints(headers_from_json(state[2]), said_at):
                    if hint.reset_in is not None and said_at + hint.reset_in > now:
                        self._clamp(now, hint, said_at)

    # Checks and spending.

    def can_spend(self, cls: int, cost: float = 1.0) -> bool:
        """Not blocked, and every window keeps ``reserve[cls] x limit`` after spending ``cost``."""
        _check_cost(cost)
        with self._lock:
            return self._fits(self.clock.now(), cls, cost)

    def wait_time(self, cls: int, cost: float = 1.0) -> float:
        """Seconds until ``cls`` could spend ``cost`` if nothing else is spent meanwhile;
        math.inf if the reserve never lets it, even with every window empty."""
        _check_cost(cost)
        with self._lock:
            now = self.clock.now()
            if self._fits(now, cls, cost):
                return 0.0
            reserve = self._reserve_of(cls)
            until = self._blocked_until
            for usage in self._windows.values():
                allowed = _allowance(usage.spec, reserve, cost)
                if allowed < 0:
                    return math.inf
                until = max(until, usage.free_at(now, allowed))
            return max(0.0, until - now)

    def limiting_window(self, cls: int, cost: float = 1.0) -> str | None:
        """What keeps ``cls`` from spending ``cost`` longest: a window's name, "block" (the
        server asked us to wait), or None when it may spend now."""
        with self._lock:
            now = self.clock.now()
            if self._fits(now, cls, cost):
                return None
            reserve = self._reserve_of(cls)
            name, until = "block", self._blocked_until
            for usage in self._windows.values():
                free = usage.free_at(now, _allowance(usage.spec, reserve, cost))
                if free > until:
                    name, until = usage.spec.name, free
            return name

    def allowed_classes(self) -> frozenset[int]:
        """The classes that may spend one unit now."""
        with self._lock:
            now = self.clock.now()
            return frozenset(c for c in self._reserve if self._fits(now, c, 1.0))

    def try_spend(self, cls: int, cost: float = 1.0) -> bool:
        """Record ``cost`` in every window if ``cls`` may spend it now."""
        _check_cost(cost)
        with self._lock:
            now = self.clock.now()
            if not self._fits(now, cls, cost):
                return False
            for usage in self._windows.values():
                usage.add(now, cost)
            self.spent_total += cost
            self._note(now, cost, 0)
            return True

    def spend_call(self, cls: int, cost: float = 1.0) -> int | None:
        """:meth:`try_spend` for a call about to go out; a second window counts it as in
        flight until :meth:`landed` is told its token. The token, or None if refused."""
        _check_cost(cost)
        with self._lock:
            now = self.clock.now()
            if not self._fits(now, cls, cost):
                return None
            self._flights += 1
            for usage in self._windows.values():
                if usage.counts_flights:
                    usage.launch(now, self._flights, cost)
                else:
                    usage.add(now, cost)
            self.spent_total += cost
            self._note(now, cost, 0)  # the burn-rate history, persisted with the usage
            return self._flights

    def landed(self, token: int) -> None:
        """The call of ``token`` (from :meth:`spend_call`) has its answer, or failed."""
        with self._lock:
            now = self.clock.now()
            for usage in self._windows.values():
                usage.land(now, token)

    def pace_interval(self) -> float | None:
        """Seconds between two calls that spread a second window's limit evenly over it
        (None without a second window)."""
        with self._lock:
            usage = self._windows.get("second")
            return None if usage is None else 1.0 / usage.spec.limit

    def adjust(self, delta: float) -> None:
        """Reconcile an estimate with the real cost: add ``delta`` (or take it back, newest
        usage first, never below zero)."""
        if not math.isfinite(delta) or delta == 0:
            return
        with self._lock:
            now = self.clock.now()
            self._note(now, max(delta, -self.spent_total), 0)
            self.spent_total = max(0.0, self.spent_total + delta)
            for usage in self._windows.values():
                if delta > 0:
                    usage.add(now, delta)
                else:
                    usage.remove(now, -delta)

    def refund(self, cost: float) -> None:
        if cost > 0:
            self.adjust(-cost)

    # What the server said.

    def block(self, retry_after: float | None, reason: str) -> float:
        """Block the account for ``retry_after`` seconds (or a growing backoff if None) plus
        jitter that is only ever added; a longer existing block stays. Returns blocked_until."""
        with self._lock:
            now = self.clock.now()
            self._strikes += 1
            if retry_after is None or not retry_after >= 0:  # also catches NaN
                delay = min(MAX_BACKOFF, 2.0 ** (min(self._strikes, 32) - 1))
            else:
                delay = min(retry_after, MAX_BLOCK)
            until = now + delay + self._rng.uniform(0.0, min(0.2 * delay, MAX_JITTER))
            if until > self._blocked_until:
                self._blocked_until, self._block_reason = until, reason
                self._state_dirty = True
                log.warning(
                    "budget.blocked",
                    system=self.system,
                    until=iso(until),
                    seconds=round(until - now, 1),
                    reason=reason,
                )
                if self.hub is not None and self.hub.active:
                    self.hub.publish(
                        Event("budget.blocked", now, system=self.system, until=until, detail=reason)
                    )
            return self._blocked_until

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from a response: 429 blocks; quota headers can only lower what remains."""
        try:
            lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        except Exception:  # headers come from outside: never let them raise
            return
        with self._lock:
            now = self.clock.now()
            try:
                # An HTTP date is on the server's clock: measured from the response's Date.
                retry_after = parse_retry_after(
                    lowered.get("retry-after"), now=now, date=lowered.get("date")
                )
            except (ValueError, OverflowError):
                retry_after = None
            if status == 429:
                self.rate_limited_total += 1
                self._note(now, 0.0, 1)
                problem = lowered.get("x-rate-limit-problem", "")[:40]
                self.block(retry_after, f"HTTP 429 ({problem} limit)" if problem else "HTTP 429")
            elif status == 503 and retry_after is not None:
                self.block(retry_after, "HTTP 503 with Retry-After")
            elif status < 400:
                self._strikes = 0
            kept = kept_headers(lowered)
            if kept and kept != self._last_headers:
                self._last_headers = kept
                self._state_dirty = True
            for hint in quota_hints(lowered, now):
                self._clamp(now, hint)

    # Persistence.

    def _note(self, now: float, calls: float, rate_limited: int) -> None:
        entry = self._history.setdefault(int(now // 60), [0.0, 0])
        entry[0] += calls
        entry[1] += rate_limited

    @property
    def dirty(self) -> bool:
        with self._lock:
            return (
                self._state_dirty
                or bool(self._history)
                or bool(self._drop)
                or any(u.dirty for u in self._windows.values() if u.persisted)
            )

    def dirty_rows(self) -> BudgetRows:
        """Take what changed since the last call (clearing it) for :meth:`BudgetRows.write`."""
        with self._lock:
            now = self.clock.now()
            usage: list[tuple[str, int, float]] = []
            prune: list[tuple[str, int]] = []
            for name, window in self._windows.items():
                if not window.persisted:
                    window.dirty.clear()
                    continue
                rows = window.all_rows() if name in self._drop else window.take_dirty()
                usage += [(window.spec.key, start, used) for start, used in rows]
                cutoff = window.prune_cutoff(now) if rows else None
                if cutoff is not None:
                    prune.append((window.spec.key, cutoff))
            state = None
            if self._state_dirty:
                state = (
                    self._blocked_until,
                    self._block_reason,
                    json.dumps(self._last_headers, sort_keys=True),
                    now,
                )
            history = tuple((m, c, int(n)) for m, (c, n) in sorted(self._history.items()))
            rows_out = BudgetRows(
                self.system, tuple(sorted(self._drop)), tuple(usage), tuple(prune), state, history
            )
            self._history.clear()
            self._drop.clear()
            self._state_dirty = False
            return rows_out

    def persist(self, conn: sqlite3.Connection) -> None:
        """Write the changes inside a store write (``await store.write(budget.persist)``).

        The changes are taken when this runs, in the writer, so writes queued in any order
        always leave the newest counts behind."""
        rows = self.dirty_rows()
        try:
            rows.write(conn)
        except BaseException:
            self._restore(rows)
            raise

    async def flush(self, store: Store) -> None:
        """Persist what changed; no write at all when nothing did."""
        if not self.dirty:
            return
        taken: list[BudgetRows] = []

        def write(conn: sqlite3.Connection) -> None:
            taken.append(self.dirty_rows())
            taken[-1].write(conn)

        try:
            await store.write(write)
        except BaseException:  # the write or its commit failed: try again next time
            for rows in taken:
                self._restore(rows)
            raise

    def statistics(self) -> BudgetStats:
        with self._lock:
            now = self.clock.now()
            blocked = self._blocked_until > now
            windows = tuple(
                WindowStats(
                    name=u.spec.name,
                    mode=u.spec.mode,
                    timezone=u.spec.timezone,
                    limit=u.spec.limit,
                    used=u.used(now),
                    remaining=max(0.0, u.spec.limit - u.used(now)),
                    resets_at=u.resets_at(now),
                    reserve=dict(self._reserve),
                )
                for u in self._windows.values()
            )
            return BudgetStats(
                system=self.system,
                taken_at=now,
                blocked_until=self._blocked_until if blocked else None,
                block_reason=self._block_reason if blocked else None,
                last_headers=dict(self._last_headers),
                allowed_classes=self.allowed_classes(),
                windows=windows,
            )

    # Internals; callers hold the lock.

    def _reserve_of(self, cls: int) -> float:
        return self._reserve.get(cls, max(self._reserve.values()))

    def _fits(self, now: float, cls: int, cost: float) -> bool:
        if now < self._blocked_until:
            return False
        reserve = self._reserve_of(cls)
        return all(u.used(now) <= _allowance(u.spec, reserve, cost) for u in self._windows.values())

    def _clamp(self, now: float, hint: QuotaHint, said_at: float | None = None) -> None:
        """Hold back what the server says is gone (``said_at``: when it said so), until its
        reset when it gave one: on every window kind the reset bounds the hold."""
        usage = self._target(hint)
        if usage is None:
            return
        local = usage.spec.limit - usage.used(now)
        if hint.remaining < local - 1e-9:
            said = now if said_at is None else said_at
            until = None if hint.reset_in is None else said + hint.reset_in
            usage.hold(now, local - hint.remaining, until)

    def _target(self, hint: QuotaHint) -> Usage | None:
        """The window a hint speaks of: by name, by the length nearest its reset, or smallest."""
        ordered = sorted(self._windows.values(), key=lambda u: window_seconds(u.spec.name))
        if not ordered:
            return None
        if hint.target in ("minute", "day"):
            return self._windows.get(hint.target)
        if hint.target == "by-reset" and hint.reset_in is not None:
            for usage in ordered:
                if window_seconds(usage.spec.name) * 1.1 >= hint.reset_in:
                    return usage
            return ordered[-1]
        return ordered[0]

    def _restore(self, rows: BudgetRows) -> None:
        """A write failed: mark its changes dirty again so the next flush retries them."""
        with self._lock:
            by_key = {u.spec.key: u for u in self._windows.values()}
            self._drop.update(rows.drop)
            for key, start, _ in rows.usage:
                if key in by_key:
                    by_key[key].dirty.add(start)
            for key, _ in rows.prune:
                if key in by_key:
                    by_key[key].pruned_before = None
            self._state_dirty = self._state_dirty or rows.state is not None
            for minute, calls, limited in rows.history:
                self._note(minute * 60.0, calls, limited)


def _allowance(spec: WindowSpec, reserve: float, cost: float) -> float:
    """The most usage a window may show for ``cost`` to be spent above the reserve."""
    return spec.limit * (1.0 - reserve) - cost + 1e-9 * max(1.0, spec.limit)


def _check_cost(cost: float) -> None:
    if not (math.isfinite(cost) and cost >= 0):
        raise ValueError(f"a budget cost must be a finite number >= 0, not {cost!r}")
