#!/usr/bin/env python
"""Benchmark the control socket's snapshot and the TUI overview at 1,000 connections.

1. Snapshot: a state file with --connections connections and --jobs jobs (random classes;
   60% pending, half of them not yet due, which is pessimistic as each of those costs a table
   read; 20% leased; 20% dead) and 5,000 open errors; build the status snapshot --trials
   times: time per build and the size of the snapshot line a subscriber receives.
2. TUI: the overview (headless, 200x50) shows that snapshot: time to fill the table the first
   time, and to apply a snapshot in which 10% of the connections changed.

    .venv/bin/python scripts/bench_control.py [--connections 1000] [--jobs 100000] [--write]

--write puts the results in BENCHMARKS.md under "## Control socket and TUI".
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import update_section

from syncwright.daemon import runtime
from syncwright.daemon.actor import Services
from syncwright.daemon.clock import SystemClock
from syncwright.daemon.config.load import load_config
from syncwright.daemon.control.context import ControlContext
from syncwright.daemon.control.protocol import Snapshot, SnapshotMessage
from syncwright.daemon.control.snapshot import SnapshotBuilder
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.store.db import Store
from syncwright.daemon.supervisor import Supervisor

HEADING = "Control socket and TUI (scripts/bench_control.py)"


def write_config(directory: Path, connections: int) -> Path:
    text = (
        '[daemon]\nstate_file = "state.db"\n'
        '[systems.erp]\nkind = "sandbox-erp"\nurl = "http://127.0.0.1:9"\n'
        'credentials = { api_key = { env = "UNUSED" } }\n'
        "[systems.erp.budget.windows.day]\nlimit = 100000\n"
        '[systems.shop]\nkind = "sandbox-shop"\nurl = "http://127.0.0.1:9"\n'
        'credentials = { api_key = { env = "UNUSED" } }\n'
        "[systems.shop.budget.windows.minute]\nlimit = 600\n"
    )
    for i in range(connections):
        text += (
            f'[connections.shop-{i:04d}]\nsource = "erp"\nchannel = "shop"\n'
            'flows = ["products", "stock"]\n'
        )
    path = directory / "config.toml"
    path.write_text(text)
    return path


def fill(db: Path, names: list[str], jobs: int) -> None:
    rng, now = random.Random(1), time.time()
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO jobs (connection, kind, class, state, run_at, enqueued_at, attempts,"
            " last_error) VALUES (?, 'pull', ?, ?, ?, ?, 1, 'boom')",
            (
                (
                    rng.choice(names),
                    rng.randrange(5),
                    rng.choice(["pending", "pending", "pending", "leased", "dead"]),
                    now + rng.choice([-60, 60]),
                    now,
                )
                for _ in range(jobs)
            ),
        )
        conn.executemany(
            "INSERT INTO sync_errors VALUES (?, 'products', ?, 'refused', ?, ?)",
            ((names[i % len(names)], str(i), now, now) for i in range(5000)),
        )
    conn.close()


async def snapshots(config_path: Path, jobs: int, trials: int) -> tuple[list[float], Snapshot]:
    config = load_config(config_path)
    sup = Supervisor(config, config_path)
    store = await Store.open(config.daemon.state_file)
    times: list[float] = []
    try:
        async with anyio.create_task_group() as tg:
            await tg.start(store.serve)
            fill(config.daemon.state_file, list(config.connections), jobs)
            clock = SystemClock()
            sup.services = Services(
                store,
                Queue(store, clock),
                clock,
                runtime.retry_policy(config),
                runtime.build_budgets(config, clock),
            )
            builder = SnapshotBuilder(ControlContext(sup, clock.now(), "bench"))
            for _ in range(trials):
                started = time.perf_counter()
                snap = await builder.build()
                times.append(time.perf_counter() - started)
            builder.close()
            store.stop_writes()
    finally:
        await store.aclose()
    return times, snap


async def overview(snap: Snapshot) -> tuple[float, float]:
    from syncwright.tui.app import SyncwrightApp

    app = SyncwrightApp(None)
    async with app.run_test(size=(200, 50)) as pilot:
        started = time.perf_counter()
        app.overview.show(snap)
        await pilot.pause()
        first = time.perf_counter() - started
        changed = snap.model_copy(deep=True)
        for row in changed.connections[::10]:
            row.open_errors += 1
            row.state = "paused"
        started = time.perf_counter()
        app.overview.show(changed)
        await pilot.pause()
        update = time.perf_counter() - started
    return first, update


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_config(Path(tmp), args.connections)
        times, snap = anyio.run(snapshots, path, args.jobs, args.trials)
    size = len(SnapshotMessage(seq=1, data=snap).model_dump_json())
    first, update = asyncio.run(overview(snap))
    ms = sorted(t * 1000 for t in times)
    rows = [
        (
            f"snapshot build, {args.connections:,} connections, {args.jobs:,} jobs, 5,000 errors",
            f"median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms ({args.trials} builds)",
            "well under the 500 ms interval",
            "yes" if statistics.median(ms) < 250 else "no",
        ),
        ("snapshot line size", f"{size / 1e6:.2f} MB", "< 1 MB", "yes" if size < 1e6 else "no"),
        ("TUI overview, first fill", f"{first * 1000:.0f} ms", "", ""),
        (
            "TUI overview, 10% of rows changed",
            f"{update * 1000:.0f} ms",
            "< 500 ms (live within 1 s)",
            "yes" if update < 0.5 else "no",
        ),
    ]
    table = "| Measure | Result | Target | Met |\n|---|---|---|---|\n" + "\n".join(
        "| " + " | ".join(r) + " |" for r in rows
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"Run {when} with `.venv/bin/python scripts/bench_control.py --write` on "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}."
        f"\n\n{table}\n"
    )
    print(body)
    if args.write:
        update_section(Path(__file__).resolve().parent.parent / "BENCHMARKS.md", HEADING, body)


if __name__ == "__main__":
    main()
