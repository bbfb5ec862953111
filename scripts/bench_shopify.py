#!/usr/bin/env python3
"""Benchmark: a full product sync of N products, sandbox ERP -> daemon -> Shopify emulator.

The sandbox ERP (N products, one variant each) and the Shopify emulator run as their own
processes on loopback; the emulator's cost bucket is Shopify's Standard plan (2,000 points,
restored at 100 points/s) unless told otherwise. The daemon runs ``run --until-idle`` on a
config syncing only products, with the shop's budget set as the README advises: what Shopify's
own bucket can let through in any minute, 60 x restore rate + bucket size (8,000 on Standard),
so the budget is not the limit and the connector's pacing is.
Measured: wall time from daemon start to exit; GraphQL calls by root field; requested and
actual cost points; THROTTLED answers.

Per-call minimum for this API: a product with its variants, options, prices and metafields
takes one ``productSet`` call (``productCreate`` takes no variants), and every mutation costs 10
points. The default price list takes the same prices as fixed prices, at most 250 per
``priceListFixedPricesAdd``. So per call, N products need at least N + ceil(N / 250) calls and
10 points each, and since the bucket starts full and refills at R points/s, at least
(points - bucket) / R seconds. With bulk writes (the connector's default for batches of at
least ``bulk_write_min``), the productSet lines run inside ``bulkOperationRunMutation`` outside
the bucket; each batch then costs a staged upload (10), the start (10), its polls (1 each) and
its price-list calls. ``--page-size`` sets the connection's page size, which bounds a batch.

    .venv/bin/python scripts/bench_shopify.py [--products 20000] [--restore-rate 100] \
        [--page-size 250] [--write]

With ``--full-resync`` (scripts/bench_shopify_full.py), the initial sync is followed by two
operator full syncs of the same catalogue: verifying against one bulk read, then with the paged
reads; both are measured (calls and cost points) and compared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib import update_section  # noqa: E402
from fetch_shopify_schema import ensure_schemas  # noqa: E402
from helpers import daemon_env, start_server  # noqa: E402

TOKEN = "shpat_bench"
SECRET = "shpss_bench"


def config_text(erp: str, shop: str, per_minute: int, workers: int, page: int = 250) -> str:
    return f"""
[daemon]
state_file = "state.db"
log_format = "json"
log_level = "info"

[systems.erp]
kind = "sandbox-erp"
url = "{erp}"
credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}

[systems.shop]
kind = "shopify"
url = "{shop}"
credentials.access_token = {{ env = "SHOPIFY_BENCH_TOKEN" }}
credentials.client_secret = {{ env = "SHOPIFY_BENCH_SECRET" }}
[systems.shop.budget.windows.minute]
limit = {per_minute}
# No class reserves: the full sync (class 4) may use all of it.
[systems.shop.budget.reserve]
manual = 0.0
recent = 0.0
ghost = 0.0
full = 0.0

[connections.bench]
source = "erp"
channel = "shop"
flows = ["products"]
page_size = {page}
workers = {workers}
[connections.bench.schedule]
full = ""
"""


def start_emulator(tmp: Path, bucket: float, rate: float) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "syncwright.connectors.shopify", "--token", TOKEN,
               "--secret", SECRET, "--bucket", str(bucket),
               "--restore-rate", str(rate)]  # fmt: skip
    with (tmp / "emulator.log").open("a") as log:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, line.split()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--bucket", type=float, default=2000.0)
    parser.add_argument("--restore-rate", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--page-size", type=int, default=250, help="the connection's page_size")
    parser.add_argument("--full-resync", action="store_true", help="then measure full syncs")
    parser.add_argument("--write", action="store_true", help="record the figures in BENCHMARKS.md")
    args = parser.parse_args()
    n = args.products
    ensure_schemas()
    tmp = Path(tempfile.mkdtemp(prefix="sw-bench-shopify-"))
    erp = start_server("erp", tmp / "erp.db", "--products", str(n), "--variants", "1",
                       "--customers", "0")  # fmt: skip
    emulator, url = start_emulator(tmp, args.bucket, args.restore_rate)
    try:
        config = tmp / "config.toml"
        per_minute = int(args.restore_rate * 60 + args.bucket)
        config.write_text(config_text(erp.url, url, per_minute, args.workers, args.page_size))
        env = {**daemon_env(), "SHOPIFY_BENCH_TOKEN": TOKEN, "SHOPIFY_BENCH_SECRET": SECRET}
        print(f"syncing {n:,} products to the emulator ...", flush=True)
        started = time.monotonic()
        with (tmp / "daemon.log").open("a") as log:
            code = subprocess.run(
                [sys.executable, "-m", "syncwright", "run", "-c", str(config), "--until-idle"],
                stdout=log, stderr=log, env=env, cwd=ROOT, check=False,
            ).returncode  # fmt: skip
        seconds = time.monotonic() - started
        headers = {"X-Shopify-Access-Token": TOKEN}
        if args.full_resync and code == 0:
            import bench_shopify_full as full

            bulk = full.measure(url, TOKEN, config, env, threshold=1)
            paged = full.measure(url, TOKEN, config, env, threshold=0)
            table = full.report(n, bulk, paged, lambda v: f"{v:,}")
            print(table)
        stats: dict[str, Any] = httpx.get(
            f"{url}/_emulator/stats", headers=headers, timeout=60
        ).json()
        held = httpx.get(f"{url}/_emulator/products", headers=headers, timeout=300).json()[
            "products"
        ]
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
        erp.stop()
    if code != 0:
        raise SystemExit(f"the daemon exited with {code}; see {tmp / 'daemon.log'}")
    if len(held) != n:
        raise SystemExit(f"the emulator holds {len(held)} products, not {n}")
    # productSet per product, plus the price list: its fixed prices, 250 per call at best
    # (the connector makes one call per product batch of 25; looking the list up is not counted).
    min_calls = n + -(-n // 250)
    min_points = 10 * min_calls
    min_seconds = max(0.0, (min_points - args.bucket) / args.restore_rate)
    calls = stats["calls"]
    ops = ", ".join(f"{k} {v:,}" for k, v in sorted(stats["by_operation"].items()))
    print(f"{seconds:.0f} s; {calls:,} calls ({ops}); requested {stats['requested']:,} points, "
          f"actual {stats['actual']:,}; throttled {stats['throttled']}")  # fmt: skip
    if args.write and args.full_resync:
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        command = (
            f"scripts/bench_shopify.py --products {n} --restore-rate {args.restore_rate:g}"
            " --full-resync --write"
        )
        body = f"""
Run {when} with `.venv/bin/python {command}` on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. After the initial sync of {n:,} products (1 variant each; bucket {args.bucket:g} points, restore {args.restore_rate:g} points/s), two operator full syncs of the products flow, in-process, nothing drifted: one verifying against a single bulk read (`bulk_read_threshold` reached), one with the paged reads (`bulk_read_threshold = 0`). Stock is not in these runs.

{table}

The bulk read costs a fixed handful of points (bulkOperationRunQuery 10, each poll 1) however
large the catalogue; the paged reads grow with it. The wall time of the bulk path includes the
emulator building the JSONL file; on Shopify a bulk operation of a large shop can take minutes,
which is still less than the paged reads' cost points take to restore. "Calls by root field"
counts root selections: the paged reads send up to 7 `productByIdentifier` aliases per call.
The paged run's one THROTTLED answer was retried without loss (the connector's pacing, as it
was before this change).
"""  # noqa: E501
        update_section(
            ROOT / "BENCHMARKS.md",
            "Shopify full resync: bulk read vs paged reads (scripts/bench_shopify.py)",
            body,
        )
        return 0
    if args.write:
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        body = f"""
Run {when} with `.venv/bin/python scripts/bench_shopify.py --products {n} --restore-rate {args.restore_rate:g} --write` on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. Sandbox ERP ({n:,} products, 1 variant each) and the Shopify emulator (bucket {args.bucket:g} points, restore {args.restore_rate:g} points/s) as processes on loopback; daemon `run --until-idle`, flows = products, {args.workers} workers, shop budget {per_minute:,} points/minute with no class reserves. ERP seeding is not counted.

Theoretical minimum: one `productSet` per product (the only call that creates a product with its variants, options, prices and metafields) plus one `priceListFixedPricesAdd` per 250 prices for the "Shopify Price" list, 10 points per mutation, so {min_calls:,} calls and {min_points:,} points; the bucket starts full, so the restore rate alone imposes ({min_points:,} - {args.bucket:g}) / {args.restore_rate:g} = {min_seconds:,.0f} s.

| measure | result | minimum | ratio |
|---|---|---|---|
| GraphQL calls | {calls:,} ({ops}) | {min_calls:,} | {calls / min_calls:.2f} |
| cost points, actual | {stats["actual"]:,} | {min_points:,} | {stats["actual"] / min_points:.2f} |
| cost points, requested | {stats["requested"]:,} | {min_points:,} | {stats["requested"] / min_points:.2f} |
| wall time, daemon start to exit | {seconds:,.0f} s | {min_seconds:,.0f} s (restore rate) | {seconds / max(min_seconds, 1):.2f} |
| THROTTLED answers | {stats["throttled"]} | 0 | |
| products held by the emulator afterwards | {len(held):,} | {n:,} | |

Caveat: the points are the emulator's price list (connectors/shopify/cost.py: 10 per mutation),
which follows Shopify's published rules; Shopify's real price for a large productSet input may
be higher (its schema notes extra complexity per variant and file), and the time with it.
"""  # noqa: E501
        update_section(
            ROOT / "BENCHMARKS.md", "Shopify product sync (scripts/bench_shopify.py)", body
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
