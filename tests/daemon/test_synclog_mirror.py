"""The sync-log mirror's calls, step by step, against a channel that records them: a full
sync's start (PUT, no end), its errors as they come (PATCH), its end only once its last slice
is done (PUT with both times); partial syncs add and resolve; a failed call is owed again."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio

from syncwright.daemon import synclog
from syncwright.daemon.clock import FakeClock
from syncwright.daemon.store.db import Store
from syncwright.daemon.synclog_mirror import Mirror, Target

TARGET = Target("c", "portal", ("stock", "customers", "orders"))


class Recorder:
    """A SyncLogMirror channel for stock and customers that records each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.fail_next = 0

    def mirrors_flow(self, flow: str) -> bool:
        return flow in ("stock", "customers")

    def _maybe_fail(self) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("the portal is down")

    async def log_full(
        self,
        flow: str,
        *,
        started: float | None,
        finished: float | None,
        errors: Sequence[tuple[str, str]],
    ) -> None:
        self._maybe_fail()
        self.calls.append(("PUT", flow, started, finished, dict(errors)))

    async def log_partial(
        self,
        flow: str,
        *,
        when: float | None,
        errors: Sequence[tuple[str, str]],
        resolved: Sequence[str],
    ) -> None:
        self._maybe_fail()
        self.calls.append(("PATCH", flow, when, dict(errors), list(resolved)))

    async def forget_logs(self) -> None:
        self.calls.append(("DELETE",))

    async def aclose(self) -> None:
        return None


def test_a_full_sync_and_partial_syncs_are_mirrored_in_order(tmp_path: Path) -> None:
    portal = Recorder()
    clock = FakeClock(1000.0)

    async def main() -> None:
        store = await Store.open(tmp_path / "state.db")
        mirror = Mirror(store, clock, lambda: [TARGET], {"portal": portal})  # type: ignore[dict-item]
        async with anyio.create_task_group() as tg:
            await tg.start(store.serve)

            async def step(fn: Callable[[sqlite3.Connection], object]) -> list[tuple[Any, ...]]:
                await store.write(fn)
                portal.calls.clear()
                await mirror.round()
                return list(portal.calls)

            run = 0

            def begin(conn: sqlite3.Connection) -> None:
                nonlocal run
                synclog.add_error(conn, "c", "stock", "old", "stale", 5.0)
                run = synclog.begin_full(conn, "c", ["stock"], "operator", 10.0)
                synclog.add_slices(conn, "c", run, 2)

            # The start; customers (no full sync lists them) get a log with no times.
            assert await step(begin) == [
                ("PUT", "stock", 10.0, None, {}),
                ("PUT", "customers", None, None, {}),
            ]
            # An error found by the first slice goes out at once; the run is not done yet.
            assert await step(
                lambda c: (
                    synclog.add_error(c, "c", "stock", "A|north", "unknown location", 11.0),
                    synclog.slice_done(c, "c", run, items=5, follow_ups=0, now=11.0),
                )
            ) == [("PATCH", "stock", None, {"A|north": "unknown location"}, [])]
            # Nothing changed: nothing sent.
            assert await step(lambda c: None) == []
            # The last slice: the end, with every open error (a PUT replaces them all).
            assert await step(
                lambda c: synclog.slice_done(c, "c", run, items=5, follow_ups=0, now=12.0)
            ) == [("PUT", "stock", 10.0, 12.0, {"A|north": "unknown location"})]
            # A partial sync fixes the error and finds another: one PATCH with its time.
            assert await step(
                lambda c: (
                    synclog.resolve(c, "c", "stock", ["A|north"]),
                    synclog.add_error(c, "c", "stock", "B|north", "unknown location", 13.0),
                    synclog.touch_partial(c, "c", 13.0),
                )
            ) == [
                ("PATCH", "stock", 13.0, {"B|north": "unknown location"}, ["A|north"]),
                ("PATCH", "customers", 13.0, {}, []),
            ]
            # A failed call is owed: the next round (after its pause) sends it again.
            portal.fail_next = 1
            failed = await step(lambda c: synclog.touch_partial(c, "c", 14.0))
            assert failed == [("PATCH", "customers", 14.0, {}, [])]  # stock's call failed
            row = await store.fetchone("SELECT failures FROM synclog_mirror WHERE flow = 'stock'")
            assert row is not None and row[0] == 1
            clock.advance(60.0)
            assert await step(lambda c: None) == [("PATCH", "stock", 14.0, {}, [])]
            store.stop_writes()
        await store.aclose()

    anyio.run(main)


def test_a_partial_sync_time_alone_is_sent_at_most_once_per_interval(tmp_path: Path) -> None:
    """A pull every 30 s moves the last partial sync time each time; the channel hears of it
    every ``partial_every`` seconds, with the latest time, while errors still go at once."""
    portal = Recorder()
    clock = FakeClock(1000.0)
    target = Target("c", "portal", ("stock",))

    async def main() -> None:
        store = await Store.open(tmp_path / "state.db")
        mirror = Mirror(store, clock, lambda: [target], {"portal": portal}, partial_every=300.0)  # type: ignore[dict-item]
        async with anyio.create_task_group() as tg:
            await tg.start(store.serve)
            await mirror.round()  # the flow's log starts (a PUT with no times)
            sent: list[tuple[Any, ...]] = []
            for _ in range(20):  # ten minutes of pulls every 30 s
                now = clock.now()
                await store.write(lambda c, now=now: synclog.touch_partial(c, "c", now))
                portal.calls.clear()
                await mirror.round()
                sent += portal.calls
                clock.advance(30.0)
            assert [call[2] for call in sent] == [1000.0, 1300.0]
            # An error is not held back; it carries the newest time with it.
            now = clock.now()
            await store.write(
                lambda c: (
                    synclog.add_error(c, "c", "stock", "A|north", "unknown location", now),
                    synclog.touch_partial(c, "c", now),
                )
            )
            portal.calls.clear()
            await mirror.round()
            assert portal.calls == [("PATCH", "stock", now, {"A|north": "unknown location"}, [])]
            store.stop_writes()
        await store.aclose()

    anyio.run(main)
