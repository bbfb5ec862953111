#!/usr/bin/env python3
"""Benchmark: Unleashed calls against its monthly quota, measured on the emulator.

The Unleashed emulator runs in this process on loopback with N products (default 5,000) in two
warehouses; the connector talks to it over HTTP exactly as to Unleashed (signed requests, pages
of 1,000), through a gate that counts every call. Measured:

1. a full sync: every product and every stock row listed (calls, seconds, calls per 1,000
   products);
2. one simulated day at the default schedules: a change pull every ``--recent`` seconds
   (products, stock per warehouse, customers), ``--changes`` product edits (price and stock)
   spread over the day, and the ghost sweep (10 items every ``--ghost-hours``, each one
   product read and one stock read); the emulator's clock moves, nothing sleeps;
3. the month: 30 such days plus the weekly full sync, against a quota of ``--quota`` calls.

The minimum for a pull of this API is one call per resource per pass (pages of 1,000), so a
pull with products, stock in W warehouses and customers costs 2 + W calls even when nothing
changed: the schedule, not the catalogue, sets the monthly bill.

    .venv/bin/python scripts/bench_unleashed.py [--products 5000] [--changes 500] \
        [--recent 30] [--quota 150000] [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib import update_section  # noqa: E402

from syncwright.connectors.base import ChangeQuery, ListQuery, SystemSpec  # noqa: E402
from syncwright.connectors.unleashed.connector import UnleashedErp  # noqa: E402
from syncwright.connectors.unleashed.emulator.app import Emulator  # noqa: E402
from syncwright.connectors.unleashed.emulator.seed import seed  # noqa: E402
from syncwright.connectors.unleashed.settings import UnleashedSettings  # noqa: E402
from syncwright.connectors.unleashed.wire import derived_guid, to_token  # noqa: E402

API_ID, API_KEY = "bench-id", "bench-key"
DAY = 86400
GHOSTS_PER_HOUR = 10


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    async def acquire(self, cost: float = 1.0) -> None:
        self.calls += 1

    def report(self, status: int, headers: Mapping[str, str], *, cost: float | None = None) -> None:
        return None


async def drain(read: Any, since: str | None) -> list[Any]:
    items: list[Any] = []
    after = None
    while True:
        page = await read(ChangeQuery(since, after, 1000))
        items += page.items
        if page.complete:
            return items
        after = page.resume_key


async def listing(read: Any) -> int:
    count, after = 0, None
    while True:
        page = await read(ListQuery(after, 1000))
        count += len(page.items)
        if page.complete:
            return count
        after = page.resume_key[1]


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    emu = Emulator(api_id=API_ID, api_key=API_KEY)
    emu.clock.fixed = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    seed(emu.store, (("MAIN", "Main"), ("NORTH", "North")), args.products, customers=200)
    out: dict[str, Any] = {}
    async with anyio.create_task_group() as tg:
        await tg.start(emu.serve)
        gate = Counter()
        spec = SystemSpec(
            "ul", "unleashed", emu.url, UnleashedSettings(), {"api_id": API_ID, "api_key": API_KEY}
        )
        conn = UnleashedErp(spec, gate)
        started = time.perf_counter()
        products = await listing(conn.list_products)
        rows = await listing(conn.list_stock)
        out["full_seconds"] = time.perf_counter() - started
        out["full_calls"] = gate.calls
        out["full_items"] = (products, rows)
        # One day: pulls every `recent` seconds, edits spread evenly, ghosts every hour.
        gate.calls = 0
        since = to_token(emu.clock())
        pulls = DAY // args.recent
        edited = changed_seen = 0
        started = time.perf_counter()
        for n in range(pulls):
            emu.clock.fixed += dt.timedelta(seconds=args.recent)
            for _ in range(args.changes * (n + 1) // pulls - args.changes * n // pulls):
                code = f"UL-{edited % args.products + 1:05d}"
                emu.store.upsert_product(
                    derived_guid("emulator", "product", code),
                    {"ProductCode": code, "DefaultSellPrice": Decimal(20 + n % 7)},
                )
                emu.store.set_stock(code, "MAIN", Decimal(n % 50), Decimal(0))
                edited += 1
            mark = to_token(emu.clock())
            changed_seen += len(await drain(conn.changed_products, since))
            await drain(conn.changed_stock, since)
            await drain(conn.changed_customers, since)
            since = mark
            if (n * args.recent) % (3600 * args.ghost_hours) == 0:
                for g in range(GHOSTS_PER_HOUR):
                    code = f"UL-{(n + g) % args.products + 1:05d}"
                    await conn.get_product(derived_guid("emulator", "product", code))
                    await conn.get_stock([code])
        out["day_seconds"] = time.perf_counter() - started
        out["day_calls"] = gate.calls
        out["day_pulls"] = pulls
        out["day_edits"] = edited
        out["day_changed_seen"] = changed_seen
        await conn.aclose()
        tg.cancel_scope.cancel()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument("--recent", type=int, default=30)
    parser.add_argument("--quota", type=int, default=None)
    parser.add_argument("--ghost-hours", type=int, default=1)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    r = anyio.run(bench, args)
    month = 30 * r["day_calls"] + round(30 / 7 * r["full_calls"])
    per_k = r["full_calls"] / (args.products / 1000)
    load = os.getloadavg()
    lines = [
        f"- Full sync of {args.products:,} products ({r['full_items'][1]:,} stock rows, 2"
        f" warehouses): {r['full_calls']} calls ({per_k:.1f} per 1,000 products),"
        f" {r['full_seconds']:.2f} s ({r['full_seconds'] / (args.products / 1000):.2f} s per"
        " 1,000 products).",
        f"- One day at `recent = {args.recent}s`, ghost sweeps of 10 every {args.ghost_hours} h:"
        f" {r['day_pulls']:,} pulls, {r['day_edits']}"
        f" edits, {r['day_calls']:,} calls ({r['day_calls'] / r['day_pulls']:.2f} per pull,"
        f" ghost sweeps included); simulated in {r['day_seconds']:.1f} s.",
        f"- Month: 30 days + a weekly full sync = **{month:,} calls**.",
    ]
    if args.quota:
        lines.append(
            f"- Against a quota of {args.quota:,}: {100 * month / args.quota:.0f} % of the month"
        )
    body = "\n".join(lines)
    print(body)
    if args.write:
        today = dt.date.today().isoformat()
        command = " ".join(["scripts/bench_unleashed.py", *sys.argv[1:]])
        update_section(
            ROOT / "BENCHMARKS.md",
            f"Unleashed calls per month (recent = {args.recent}s, ghosts every"
            f" {args.ghost_hours} h)",
            f"Command: `.venv/bin/python {command}`; {today}; {platform.machine()},"
            f" {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} before"
            " the run. In-process emulator over loopback HTTP, the connector counting calls"
            " (no daemon).\n\n" + body,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
