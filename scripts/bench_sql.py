#!/usr/bin/env python3
"""Benchmark: the sql kind reading an ERP database, on real PostgreSQL and MariaDB servers.

Per database: N products with 2 variants and 2 stock rows each are seeded; then, through the
connector (``page_size`` 1000), a full listing of products, a change pass over products from
the beginning, a change pass over stock, and an incremental change pass after 100 edits.
Reported: statements (budget units: one per page), wall time, products per second. The
minimum is ceil(rows / page) pages per pass (plus one when the count is a multiple of the
page, as a full last page cannot say it is the last).

    .venv/bin/python scripts/bench_sql.py [--products 10000] [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [
    str(ROOT / "scripts"),
    str(ROOT / "scripts" / "realservers"),
    str(ROOT / "tests" / "real"),
]

import databases  # noqa: E402
from benchlib import update_section  # noqa: E402
from sql_erp import Erp, spec  # noqa: E402

from syncwright.connectors.base import ChangeQuery, ListQuery  # noqa: E402
from syncwright.connectors.sql.writes import build  # noqa: E402

PAGE = 1000


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    async def acquire(self, cost: float = 1.0) -> None:
        self.calls += 1

    def report(self, status: int, headers: Mapping[str, str], *, cost: float | None = None) -> None:
        return None


async def seed(erp: Erp, count: int) -> None:
    await erp.create()
    step = 1000
    for start in range(0, count, step):
        ids = range(start + 1, min(count, start + step) + 1)
        await erp.many(
            "INSERT INTO item (id, title, handle) VALUES (:i, :t, :t)",
            [{"i": i, "t": f"p{i}"} for i in ids],
        )
        skus = [(i, f"S{i}-{v}") for i in ids for v in (1, 2)]
        await erp.many(
            "INSERT INTO item_variant (item_id, sku, price) VALUES (:i, :s, 9.5)",
            [{"i": i, "s": s} for i, s in skus],
        )
        await erp.many(
            "INSERT INTO stock_level (sku, warehouse, qty) VALUES (:s, 'central', 5)",
            [{"s": s} for _, s in skus],
        )


async def timed(source: Any, gate: Counter, reader: Any, query: Any) -> tuple[int, int, float]:
    gate.calls, items, started = 0, 0, time.perf_counter()
    after: Any = None
    while True:
        page = await reader(query(after))
        items += len(page.items)
        if page.complete:
            return items, gate.calls, time.perf_counter() - started
        after = page.last_key


async def measure(server: Any, count: int) -> list[tuple[str, int, int, int, float]]:
    erp = Erp(server)
    await seed(erp, count)
    gate = Counter()
    source = build(spec(server, page_size=PAGE), gate)
    rows = []
    try:
        listing = await timed(
            source, gate, source.list_products, lambda a: ListQuery(a[1] if a else None, PAGE)
        )
        rows.append(("full listing, products", *listing, count))
        change = await timed(
            source, gate, source.changed_products, lambda a: ChangeQuery(None, a, PAGE)
        )
        rows.append(("change pass, products", *change, count))
        stock = await timed(
            source, gate, source.changed_stock, lambda a: ChangeQuery(None, a, PAGE)
        )
        rows.append(("change pass, stock", *stock, 2 * count))
        mark = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await erp.run(f"UPDATE item SET title = 'edited', updated_at = {erp.now} WHERE id <= 100")
        since = mark.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        incr = await timed(
            source, gate, source.changed_products, lambda a: ChangeQuery(since, a, PAGE)
        )
        rows.append(("incremental, 100 edits", *incr, 100))
    finally:
        await source.aclose()
        await erp.aclose()
    return [(name, items, calls, expected, secs) for name, items, calls, secs, expected in rows]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10000)
    parser.add_argument("--write", action="store_true", help="record in BENCHMARKS.md")
    args = parser.parse_args()
    lines = [
        f"`.venv/bin/python scripts/bench_sql.py --products {args.products}`, "
        f"{dt.date.today().isoformat()}, load {os.getloadavg()[0]:.1f} (1 min) on "
        f"{os.cpu_count()} cores; page 1000; servers as in tests/real (loopback, fsync off).",
        "",
        "| database | pass | items | statements | minimum | seconds | items/s |",
        "|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for kind, cls in (
            ("postgresql", databases.PostgresServer),
            ("mariadb", databases.MariaDbServer),
        ):
            why = databases.install(kind)
            if why:
                print(f"{kind}: skipped, {why}")
                continue
            server = cls(Path(tmp) / kind)
            server.start()
            try:
                for name, items, calls, expected, secs in anyio.run(measure, server, args.products):
                    least = math.ceil(expected / PAGE) + (expected % PAGE == 0)
                    rate = items / secs if secs else 0.0
                    row = f"| {kind} | {name} | {items} | {calls} | {least} | {secs:.2f} |"
                    row += f" {rate:,.0f} |"
                    lines.append(row)
                    print(row, flush=True)
            finally:
                server.stop()
    if args.write:
        update_section(
            ROOT / "BENCHMARKS.md", "SQL back office (scripts/bench_sql.py)", "\n".join(lines)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
