#!/usr/bin/env python3
"""Benchmark: the operations paths on a large state file.

Builds a state file with ITEMS linked products (item_state and stock_state rows), as many
finished jobs plus some pending ones, open sync-log errors and 8 days of per-minute spend
history for two systems. Then measures one Prometheus scrape (the collector's snapshot reads
and the state-file queries, rendered to text), ``syncwright backup`` of the file, and the
planner's offline report. No target is set for these in the issue; the figures show what an
operator pays for a scrape every 15 s and for a nightly backup.

    .venv/bin/python scripts/bench_ops.py [--items 100000] [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib import update_section  # noqa: E402
from prometheus_client.exposition import generate_latest  # noqa: E402
from prometheus_client.registry import CollectorRegistry  # noqa: E402

from syncwright.daemon.budget.budget import Budget  # noqa: E402
from syncwright.daemon.budget.windows import WindowSpec  # noqa: E402
from syncwright.daemon.clock import SystemClock  # noqa: E402
from syncwright.daemon.config.load import parse_config  # noqa: E402
from syncwright.daemon.ops.backup import backup_file  # noqa: E402
from syncwright.daemon.ops.metrics import ActorView, Sources, SyncwrightCollector  # noqa: E402
from syncwright.daemon.ops.planner_history import offline_report  # noqa: E402
from syncwright.daemon.store.db import connect_sync  # noqa: E402
from syncwright.daemon.store.migrations import migrate  # noqa: E402


def build(path: Path, items: int) -> None:
    conn = connect_sync(path)
    migrate(conn, str(path))
    now = time.time()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO item_state (connection, entity, source_id, hash, written_at) "
        "VALUES ('demo', 'product', ?, 'h', ?)",
        ((f"p{i}", now - i) for i in range(items)),
    )
    conn.executemany(
        "INSERT INTO links (connection, entity, source_id, channel_id, created_at) "
        "VALUES ('demo', 'product', ?, ?, ?)",
        ((f"p{i}", f"c{i}", now) for i in range(items)),
    )
    conn.executemany(
        "INSERT INTO stock_state (connection, sku, location, quantity, pushed_at) "
        "VALUES ('demo', ?, 'main', 1, ?)",
        ((f"s{i}", now - i) for i in range(items)),
    )
    conn.executemany(
        "INSERT INTO jobs (connection, kind, class, state, run_at, enqueued_at, finished_at) "
        "VALUES ('demo', 'pull', ?, ?, ?, ?, ?)",
        ((i % 5, "done" if i % 100 else "pending", now - i, now - i, now) for i in range(items)),
    )
    conn.executemany(
        "INSERT INTO sync_errors (connection, flow, external_id, message, first_seen, last_seen)"
        " VALUES ('demo', 'products', ?, 'refused', ?, ?)",
        ((f"p{i}", now, now) for i in range(1000)),
    )
    minute = int(now // 60)
    conn.executemany(
        "INSERT INTO budget_history (system, minute, calls) VALUES (?, ?, 10)",
        ((s, minute - m) for s in ("erp", "shop") for m in range(8 * 1440)),
    )
    conn.execute("COMMIT")
    conn.close()


CONFIG = """
[daemon]
state_file = "{state}"
[systems.erp]
kind = "sandbox-erp"
url = "http://127.0.0.1:1"
credentials = {{ api_key = {{ env = "K" }} }}
[systems.erp.budget.windows.minute]
limit = 600
[systems.erp.budget.windows.day]
limit = 200000
[systems.shop]
kind = "sandbox-shop"
url = "http://127.0.0.1:2"
credentials = {{ api_key = {{ env = "K" }} }}
[connections.demo]
source = "erp"
channel = "shop"
flows = ["products", "stock"]
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.db"
        build(state, args.items)
        import tomllib

        config = parse_config(tomllib.loads(CONFIG.format(state=state)))
        clock = SystemClock()
        budgets = {
            "erp": Budget(
                "erp", [WindowSpec("minute", 600.0), WindowSpec("day", 2e5)], clock=clock
            ),
            "shop": Budget("shop", [WindowSpec("minute", 600.0)], clock=clock),
        }
        actors = [ActorView("demo", "running", 2, 0, 10, 0, ("products", "stock"))]
        sources = Sources(lambda: state, lambda: actors, lambda: budgets, clock.now)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(SyncwrightCollector(sources))
        scrapes = []
        for _ in range(20):
            started = time.perf_counter()
            body = generate_latest(registry)
            scrapes.append(time.perf_counter() - started)
        started = time.perf_counter()
        copy = backup_file(state, Path(tmp) / "copy.db")
        backup_s = time.perf_counter() - started
        plans = []
        for _ in range(5):
            started = time.perf_counter()
            offline_report(config)
            plans.append(time.perf_counter() - started)
    p50 = statistics.median(scrapes) * 1000
    worst = max(scrapes) * 1000
    rows = [
        (
            "one scrape (collector + state-file queries + text)",
            f"p50 {p50:.0f} ms, max {worst:.0f} ms over 20; {len(body):,} bytes",
        ),
        (
            "`syncwright backup` of the file",
            f"{copy.size / 1e6:.1f} MB in {backup_s:.2f} s (quick_check included)",
        ),
        ("planner offline report", f"p50 {statistics.median(plans) * 1000:.0f} ms over 5"),
    ]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"Run {when} with `.venv/bin/python scripts/bench_ops.py --items {args.items} --write` on "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}. State file: {args.items:,} linked products with item and "
        f"stock state, {args.items:,} jobs (1% pending), 1,000 open errors, 8 days of spend "
        "history for 2 systems.\n\n| Measure | Result |\n|---|---|\n"
        + "\n".join(f"| {m} | {r} |" for m, r in rows)
    )
    print(text)
    if args.write:
        update_section(ROOT / "BENCHMARKS.md", "Operations (scripts/bench_ops.py)", text)


if __name__ == "__main__":
    main()
