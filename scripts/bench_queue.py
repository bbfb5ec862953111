#!/usr/bin/env python
"""Benchmark the persistent queue on a temporary state file.

1. Sale latency: with --jobs class 3/4 jobs queued, a class-0 job is enqueued while a leasing
   loop (an actor's reserved class-0 slot: wait on the queue's signal, then lease) is waiting.
   Time from the enqueue call to lease returning it, p50/p99 over --trials, with the writer
   idle and with workers draining classes 3-4 at the same time.
2. Throughput: enqueue_many --jobs jobs, then N concurrent workers lease and complete them one
   at a time until none is left, for each N in --workers (a fresh state file each).

    .venv/bin/python scripts/bench_queue.py [--jobs 100000] [--trials 100] [--workers 8,16,32]
                                            [--write]

--write puts the results in BENCHMARKS.md under "## Queue (scripts/bench_queue.py)".
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import update_section

from syncwright.daemon.clock import SystemClock
from syncwright.daemon.jobs.job import JobSpec
from syncwright.daemon.jobs.queue import Queue, explain_lease
from syncwright.daemon.logs.structured import configure
from syncwright.daemon.store.db import Store

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Queue (scripts/bench_queue.py)"
CONN = "bench"


async def with_queue(path: Path, body: Callable[[Store, Queue], Awaitable[None]]) -> None:
    store = await Store.open(path)
    try:
        async with anyio.create_task_group() as tg:
            await tg.start(store.serve)
            try:
                await body(store, Queue(store, SystemClock()))
            finally:
                store.stop_writes()
    finally:
        await store.aclose()


def backlog(n: int) -> list[JobSpec]:
    return [JobSpec("sweep", 3 + i % 2, {"item": i}, f"item:{i}") for i in range(n)]


async def sale_latency(queue: Queue, trials: int, drainers: int) -> tuple[list[float], int]:
    """Milliseconds from enqueue of a class-0 job to the waiting slot's lease returning it, and
    how many class 3-4 jobs the drainers finished meanwhile."""
    latencies: list[float] = []
    drained = 0
    sent = 0.0
    received = anyio.Event()

    async def sale_slot() -> None:
        while True:
            signal = queue.signal(CONN)  # taken before leasing: no wake-up can be missed
            jobs = await queue.lease(CONN, "sale-slot", [0], 1)
            if not jobs:
                await signal.wait()
                continue
            latencies.append((time.perf_counter() - sent) * 1000)
            await queue.complete(jobs[0])
            received.set()

    async def drain(n: int) -> None:
        nonlocal drained
        while True:
            for job in await queue.lease(CONN, f"drain-{n}", [3, 4], 1):
                await queue.complete(job)
                drained += 1
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tg:
        tg.start_soon(sale_slot)
        for n in range(drainers):
            tg.start_soon(drain, n)
        for trial in range(trials + 1):  # the first one warms up
            await anyio.sleep(random.uniform(0.002, 0.01))
            received = anyio.Event()
            sent = time.perf_counter()
            await queue.enqueue(CONN, JobSpec("post_order", 0, {"order": trial}))
            await received.wait()
        tg.cancel_scope.cancel()
    return latencies[1:], drained


async def throughput(queue: Queue, jobs: int, workers: int) -> tuple[float, float, float]:
    """Seconds to enqueue ``jobs``, seconds to lease and complete them, jobs/s end to end."""
    start = time.perf_counter()
    await queue.enqueue_many(CONN, [JobSpec("push", 2 + i % 3, {"i": i}) for i in range(jobs)])
    queued = time.perf_counter()
    finished = 0

    async def worker(n: int) -> None:
        nonlocal finished
        while leased := await queue.lease(CONN, f"w{n}", range(5), 1):
            for job in leased:
                await queue.complete(job)
                finished += 1

    async with anyio.create_task_group() as tg:
        for n in range(workers):
            tg.start_soon(worker, n)
    end = time.perf_counter()
    assert finished == jobs, (finished, jobs)
    return queued - start, end - queued, jobs / (end - start)


def pct(values: list[float], q: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


async def bench(args: argparse.Namespace, tmp: Path) -> list[str]:
    rows: list[str] = []
    plans: dict[str, list[str]] = {}

    async def latency_part(store: Store, queue: Queue) -> None:
        t = time.perf_counter()
        await queue.enqueue_many(CONN, backlog(args.jobs))
        print(
            f"queued {args.jobs:,} class 3-4 jobs in {time.perf_counter() - t:.1f}s",
            file=sys.stderr,
        )
        for classes in ([0], [0, 1, 2, 3, 4]):
            plans[str(classes)] = await store.write(partial(explain_lease, classes=classes))
        for drainers in (0, args.drainers):
            ms, drained = await sale_latency(queue, args.trials, drainers)
            writer = "idle writer"
            if drainers:
                writer = f"{drainers} workers draining classes 3-4 ({drained:,} done meanwhile)"
            ok = "yes" if pct(ms, 99) < 50 else "**no**"
            rows.append(
                f"| class-0 enqueue → lease, {args.jobs:,} class 3-4 jobs queued, {writer} "
                f"| p50 {pct(ms, 50):.1f} ms, p99 {pct(ms, 99):.1f} ms, max {max(ms):.1f} ms "
                f"({len(ms)} trials) | p99 < 50 ms | {ok} |"
            )

    async def throughput_part(store: Store, queue: Queue, workers: int) -> None:
        enqueue_s, work_s, rate = await throughput(queue, args.jobs, workers)
        commits = store.commits - (args.jobs + 999) // 1000  # enqueue_many: 1,000 per commit
        if not any(row.startswith("| enqueue_many") for row in rows):
            rows.append(
                f"| enqueue_many {args.jobs:,} jobs | {args.jobs / enqueue_s:,.0f} jobs/s "
                f"({enqueue_s:.1f} s) | | |"
            )
        ok = "yes" if rate > 5000 else "**no**"
        rows.append(
            f"| enqueue + lease + complete, {args.jobs:,} jobs, {workers} workers taking one job "
            f"per lease | {rate:,.0f} jobs/s end to end; lease + complete alone "
            f"{args.jobs / work_s:,.0f} jobs/s, {commits:,} commits | > 5,000 jobs/s | {ok} |"
        )

    await with_queue(tmp / "latency.db", latency_part)
    for workers in args.workers:
        await with_queue(
            tmp / f"throughput-{workers}.db", partial(throughput_part, workers=workers)
        )
    for classes, plan in plans.items():
        sorted_ = "**sorts**" if any("TEMP B-TREE" in step for step in plan) else "no sort"
        search = next((s for s in plan if "jobs_ready" in s), "; ".join(plan))
        rows.append(
            f"| lease plan, classes {classes} | `{search}`, {sorted_} | index search | "
            f"{'yes' if sorted_ == 'no sort' else '**no**'} |"
        )
    return rows


def report(args: argparse.Namespace, rows: list[str]) -> str:
    command = " ".join([".venv/bin/python scripts/bench_queue.py", *sys.argv[1:]])
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        "WAL + synchronous=NORMAL"
    )
    return "\n".join(
        [
            SECTION,
            "",
            f"Run {when} with `{command}` on {machine}.",
            "",
            "| Measure | Result | Target | Met |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument(
        "--workers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[8, 16, 32],
        help="comma-separated worker counts for the throughput runs (default 8,16,32)",
    )
    parser.add_argument("--drainers", type=int, default=4)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    configure(level="warning")
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        rows = anyio.run(bench, args, Path(tmp))
    text = report(args, rows)
    print(text)
    if args.write:
        update_section(ROOT / "BENCHMARKS.md", SECTION.removeprefix("## "), text.split("\n", 1)[1])
        print(f"updated {ROOT / 'BENCHMARKS.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
