"""When a pull pass ends, the jobs that wait for it run now, not at their next look: the flows
that wait for it (stock for products) and a first start's full-sync slice of the same flow. A
slice that failed before keeps its retry time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio

from syncwright.daemon.clock import FakeClock
from syncwright.daemon.flows.full import slice_spec
from syncwright.daemon.flows.pull import _wake_waiting, pull_spec
from syncwright.daemon.jobs.job import JobSpec
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.store.db import Store

T0 = 1_767_225_600.0


def test_a_finished_pass_wakes_waiting_slices_and_pulls(tmp_path: Path) -> None:
    async def main() -> None:
        store = await Store.open(tmp_path / "state.db")
        clock = FakeClock(T0)
        queue = Queue(store, clock)
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                try:
                    later = T0 + 30

                    def later_spec(spec: JobSpec) -> JobSpec:
                        return JobSpec(spec.kind, spec.cls, spec.payload, spec.dedup_key, later)

                    waiting = await queue.enqueue("c", later_spec(slice_spec(1, "products", None)))
                    retrying = await queue.enqueue("c", later_spec(slice_spec(2, "products", None)))
                    other = await queue.enqueue("c", later_spec(slice_spec(1, "prices", None)))
                    stock = await queue.enqueue("c", later_spec(pull_spec("stock")))

                    def failed_once(conn: sqlite3.Connection) -> None:
                        conn.execute(
                            "UPDATE jobs SET attempts = 1, last_error = 'boom' WHERE id = ?",
                            (retrying.job_id,),
                        )

                    await store.write(failed_once)
                    await store.write(lambda conn: _wake_waiting(queue, conn, "c", "products", T0))
                    runs = {
                        row["id"]: row["run_at"]
                        for row in await store.fetchall("SELECT id, run_at FROM jobs")
                    }
                    assert runs[waiting.job_id] == T0
                    assert runs[stock.job_id] == T0
                    assert runs[retrying.job_id] == later
                    assert runs[other.job_id] == later
                finally:
                    store.stop_writes()
        finally:
            await store.aclose()

    anyio.run(main)
