"""The daemon's in-process event hub: detailed events (which job failed and why, which item's
error was added or resolved, budget blocks, pauses) fanned out to the control socket's
subscribers as they happen.

Publishing never waits and never allocates when nobody listens: callers check
:attr:`EventHub.active` first. Each subscriber has a :class:`Subscription` that keeps at most
``per_kind`` detailed events of each kind per ``window`` seconds; the rest of a burst only
counts, and :meth:`Subscription.drain` turns those counts into one summary event per kind and
connection. A burst of 10,000 job completions therefore costs a client a few dozen lines.

Events written inside a store transaction (the sync log's errors) are *staged* in the writing
thread and published only once the transaction commits (:meth:`EventHub.release_staged`), so
a rolled-back write never announces an error that is not there. Thread-safe: the store's
writer thread and the event loop both publish.

There is one hub per daemon, not per process: the supervisor makes it and hands it to its
store, budgets, actors and control server, so two daemons in one process (as in tests) never
see each other's events. Code that only has a write connection finds the hub with
:func:`hub_of`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Detailed events of one kind a subscriber receives per window; the rest are counted.
PER_KIND = 20
WINDOW = 0.5
#: Detailed events a subscriber holds between two drains, whatever their kinds.
MAX_BUFFER = 256
#: Events one thread holds for its transaction; more are not announced.
MAX_STAGED = 10_000
#: Distinct (kind, connection) summary counters per subscriber before they merge per kind.
MAX_SUMMARY_KEYS = 64


@dataclass(frozen=True, slots=True)
class Event:
    event: str
    at: float
    connection: str | None = None
    system: str | None = None
    job: int | None = None
    kind: str | None = None
    cls: int | None = None
    flow: str | None = None
    item: str | None = None
    until: float | None = None
    action: str | None = None
    detail: str | None = None
    count: int = 1
    summary: bool = False


class Subscription:
    def __init__(self, hub: EventHub) -> None:
        self._hub = hub
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._window_start = hub.monotonic()
        self._seen: dict[str, int] = {}
        self._extra: dict[tuple[str, str | None], int] = {}
        self._last_at = 0.0

    def push(self, event: Event) -> None:
        hub = self._hub
        now = hub.monotonic()
        with self._lock:
            if now - self._window_start >= hub.window:
                self._window_start, self._seen = now, {}
            seen = self._seen.get(event.event, 0)
            self._seen[event.event] = seen + 1
            self._last_at = max(self._last_at, event.at)
            if seen < hub.per_kind and len(self._events) < hub.max_buffer:
                self._events.append(event)
                return
            key = (event.event, event.connection)
            if key not in self._extra and len(self._extra) >= MAX_SUMMARY_KEYS:
                key = (event.event, None)
            self._extra[key] = self._extra.get(key, 0) + event.count

    def drain(self) -> list[Event]:
        """The detailed events since the last drain, then one summary per counted burst."""
        with self._lock:
            out, self._events = self._events, []
            extra, self._extra = self._extra, {}
            at = self._last_at
        for (name, connection), count in sorted(extra.items(), key=_key):
            out.append(Event(name, at, connection=connection, count=count, summary=True))
        return out


def _key(item: tuple[tuple[str, str | None], int]) -> tuple[str, str]:
    (name, connection), _ = item
    return name, connection or ""


class EventHub:
    def __init__(
        self,
        *,
        per_kind: int = PER_KIND,
        window: float = WINDOW,
        max_buffer: int = MAX_BUFFER,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_kind = per_kind
        self.window = window
        self.max_buffer = max_buffer
        self.monotonic = monotonic
        self._subs: tuple[Subscription, ...] = ()
        self._lock = threading.Lock()
        self._staged = threading.local()
        #: True while anyone subscribes: publishers check this before building an event.
        self.active = False

    def subscribe(self) -> Subscription:
        sub = Subscription(self)
        with self._lock:
            self._subs = (*self._subs, sub)
            self.active = True
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs = tuple(s for s in self._subs if s is not sub)
            self.active = bool(self._subs)

    def publish(self, event: Event) -> None:
        for sub in self._subs:  # a tuple replaced whole, so iterating needs no lock
            sub.push(event)

    # -- events of a transaction ------------------------------------------------------------

    def stage(self, event: Event) -> None:
        """Hold ``event`` until this thread's transaction commits."""
        pending: list[Event] | None = getattr(self._staged, "events", None)
        if pending is None:
            pending = self._staged.events = []
        if len(pending) < MAX_STAGED:  # a writer outside the store never releases: stay bounded
            pending.append(event)

    def staged_mark(self) -> int:
        pending: list[Event] | None = getattr(self._staged, "events", None)
        return 0 if pending is None else len(pending)

    def discard_staged(self, mark: int = 0) -> None:
        """Forget what was staged after ``mark`` (a savepoint or the transaction rolled back)."""
        pending: list[Event] | None = getattr(self._staged, "events", None)
        if pending:
            del pending[mark:]

    def release_staged(self) -> None:
        """The transaction committed: publish what it staged."""
        pending: list[Event] | None = getattr(self._staged, "events", None)
        if pending:
            self._staged.events = []
            for event in pending:
                self.publish(event)


def hub_of(conn: object) -> EventHub | None:
    """The hub to stage a write's events in: that of the store owning ``conn``
    (daemon/store/db.py), if anyone listens; None otherwise (nothing to build)."""
    hub = getattr(conn, "hub", None)
    return hub if isinstance(hub, EventHub) and hub.active else None
