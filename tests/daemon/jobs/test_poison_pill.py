"""Every way an order job dies leaves a sync-log error and a notification: here the poison
pill, on a real state file, both when a crash orphans it (recovery at start) and when its lease
runs out while the daemon runs (the maintenance reaper). Other kinds of job die quietly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from syncwright.daemon.clock import FakeClock
from syncwright.daemon.flows import died_orphaned
from syncwright.daemon.flows.orders import post_order_spec
from syncwright.daemon.jobs.job import JobSpec
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.store.db import Store

T0 = 1_767_225_600.0


def run(tmp_path: Path, body: Callable[[Store, Queue, FakeClock], Awaitable[None]]) -> None:
    async def main() -> None:
        store = await Store.open(tmp_path / "state.db")
        clock = FakeClock(T0)
        queue = Queue(store, clock, lease_seconds=60.0, max_orphaned=2, on_dead=died_orphaned)
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                try:
                    await body(store, queue, clock)
                finally:
                    store.stop_writes()
        finally:
            await store.aclose()

    anyio.run(main)


async def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await store.fetchall(sql)]


def test_a_crash_orphaned_order_job_going_dead_notifies(tmp_path: Path) -> None:
    async def body(store: Store, queue: Queue, clock: FakeClock) -> None:
        job_id = (await queue.enqueue("shop", post_order_spec("so_7"))).job_id
        other = (await queue.enqueue("shop", JobSpec("pull", 2, {"flow": "products"}))).job_id
        for _ in range(2):  # leased, then the daemon dies; max_orphaned = 2
            assert len(await queue.lease("shop", "w1", range(5), 2)) == 2
            report = await queue.recover_orphans()
        assert set(report.dead) == {job_id, other}
        assert await rows(store, "SELECT flow, external_id, message FROM sync_errors") == [
            (
                "orders",
                "so_7",
                "order so_7 was not posted: poison pill: the daemon died 2 times while"
                " running this job",
            )
        ]
        ((connection, kind, subject, body_text),) = await rows(
            store, "SELECT connection, kind, subject, body FROM notifications"
        )
        assert (connection, kind) == ("shop", "order_failed")
        assert subject.startswith("order so_7 was not posted: poison pill")
        assert f"post_order #{job_id}" in body_text and "never posted twice" in body_text

    run(tmp_path, body)


def test_an_order_job_whose_lease_keeps_running_out_dies_with_a_notification(
    tmp_path: Path,
) -> None:
    async def body(store: Store, queue: Queue, clock: FakeClock) -> None:
        job_id = (await queue.enqueue("shop", post_order_spec("so_9"))).job_id
        for expected in (0, 1):
            (job,) = await queue.lease("shop", "w1", [0], 1)
            assert job.id == job_id
            clock.advance(61.0)  # the worker hangs past its lease
            assert await queue.reap_expired() == 1
            count = await rows(store, "SELECT count(*) FROM notifications")
            assert count == [(expected,)]
        dead = await queue.get(job_id)
        assert dead is not None and dead.state == "dead"
        assert await rows(store, "SELECT kind FROM notifications") == [("order_failed",)]
        assert await rows(store, "SELECT external_id FROM sync_errors") == [("so_9",)]

    run(tmp_path, body)
