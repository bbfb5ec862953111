#!/usr/bin/env python3
"""Benchmark: a first full sync, sandbox ERP -> daemon -> SparkLayer emulator.

The sandbox ERP (N products of 2 variants, so 2N SKUs, stock at its 2 locations) and the
SparkLayer emulator run as their own processes on loopback. The daemon runs ``run
--until-idle`` on a config syncing products, prices and stock. The emulator's rate limit and
the daemon's budget are set high, so the figures are the calls the sync needs and the time the
machine needs; what those calls cost against a plan limit is computed from the count.

Theoretical minimum for this API: one product write each (the Core API has no batch product
write), one look-up per 250 products (the create is never blind), one price write per 1,000
SKUs (every tier of a SKU travels in its row, so 3 tiers cost no more calls than 1), one stock
write per 250 (SKU, location) rows, plus the token, the price list (2) and nothing else.

    .venv/bin/python scripts/bench_sparklayer.py [--products 5000] [--plan-limit 120] [--write]
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
from helpers import daemon_env, start_server  # noqa: E402

CLIENT_ID, CLIENT_SECRET, SITE = "bench-id", "bench-secret", "bench-site"


def config_text(erp: str, portal: str, workers: int) -> str:
    return f"""
[daemon]
state_file = "state.db"
log_format = "json"
log_level = "info"

[systems.erp]
kind = "sandbox-erp"
url = "{erp}"
credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}

[systems.portal]
kind = "sparklayer"
url = "{portal}"
credentials.client_id = {{ env = "SPARKLAYER_BENCH_ID" }}
credentials.client_secret = {{ env = "SPARKLAYER_BENCH_SECRET" }}
[systems.portal.budget.windows.minute]
limit = 1000000
[systems.portal.settings]
site_id = "{SITE}"
price_list_name = "Sandbox Price"
location_map = {{ central = "main", north = "north" }}

[connections.bench]
source = "erp"
channel = "portal"
flows = ["products", "prices", "stock"]
page_size = 500
workers = {workers}
[connections.bench.schedule]
full = ""
"""


def start_emulator(tmp: Path) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "syncwright.connectors.sparklayer", "--site-id", SITE,
               "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
               "--rate-limit", "1000000", "--locations", "main,north"]  # fmt: skip
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
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--plan-limit", type=int, default=120, help="calls a minute to cost at")
    parser.add_argument("--write", action="store_true", help="record the figures in BENCHMARKS.md")
    args = parser.parse_args()
    n = args.products
    tmp = Path(tempfile.mkdtemp(prefix="sw-bench-sparklayer-"))
    erp = start_server("erp", tmp / "erp.db", "--products", str(n), "--variants-per-product",
                       "2", "--customers", "0")  # fmt: skip
    emulator, url = start_emulator(tmp)
    try:
        config = tmp / "config.toml"
        config.write_text(config_text(erp.url, url, args.workers))
        env = {**daemon_env(), "SPARKLAYER_BENCH_ID": CLIENT_ID,
               "SPARKLAYER_BENCH_SECRET": CLIENT_SECRET}  # fmt: skip
        print(f"syncing {n:,} products ({2 * n:,} SKUs) to the emulator ...", flush=True)
        started = time.monotonic()
        with (tmp / "daemon.log").open("a") as log:
            code = subprocess.run(
                [sys.executable, "-m", "syncwright", "run", "-c", str(config), "--until-idle"],
                stdout=log, stderr=log, env=env, cwd=ROOT, check=False,
            ).returncode  # fmt: skip
        seconds = time.monotonic() - started
        stats: dict[str, Any] = httpx.get(f"{url}/_emulator/stats", timeout=60).json()
        held = httpx.get(f"{url}/_emulator/state", timeout=600).json()
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
        erp.stop()
    if code != 0:
        raise SystemExit(f"the daemon exited with {code}; see {tmp / 'daemon.log'}")
    skus, rows = 2 * n, len(held["stock"])
    if len(held["products"]) != n:
        raise SystemExit(f"the emulator holds {len(held['products'])} products, not {n}")
    minimum = 1 + 2 + n + -(-n // 250) + -(-skus // 1000) + -(-rows // 250)
    calls = stats["calls"]
    routes = ", ".join(f"`{k}` {v:,}" for k, v in sorted(stats["by_route"].items()))
    per_k = calls * 1000 / skus
    minutes = calls / args.plan_limit
    print(f"{seconds:.0f} s; {calls:,} calls ({routes}); minimum {minimum:,}; "
          f"{per_k:.0f} per 1,000 SKUs; {minutes:.0f} min at {args.plan_limit}/min")  # fmt: skip
    if args.write:
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        load = os.getloadavg()[0]
        body = f"""
Run {when} with `.venv/bin/python scripts/bench_sparklayer.py --products {n} --plan-limit {args.plan_limit} --write` on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load average {load:.2f} at the end. Sandbox ERP ({n:,} products x 2 variants = {skus:,} SKUs, stock at 2 locations = {rows:,} rows) and the SparkLayer emulator as processes on loopback; daemon `run --until-idle`, flows = products, prices, stock, {args.workers} workers, page size 500; emulator rate limit and budget out of the way. ERP seeding is not counted.

Theoretical minimum: token 1 + price list 2 + one write per product ({n:,}) + one look-up per 250 products + one price write per 1,000 SKUs + one stock write per 250 rows = {minimum:,} calls. Three price tiers per SKU cost the same calls (the tiers travel in the SKU's row).

| measure | result | minimum | ratio |
|---|---|---|---|
| calls | {calls:,} | {minimum:,} | {calls / minimum:.2f} |
| calls per 1,000 SKUs (with their 2 stock rows and price) | {per_k:.0f} | {minimum * 1000 / skus:.0f} | |
| wall time, daemon start to exit | {seconds:,.0f} s | | |
| time the calls take at {args.plan_limit} calls/minute | {minutes:,.0f} min | {minimum / args.plan_limit:,.0f} min | |
| 429 answers | {stats["throttled"]} | 0 | |

Price writes go one per product batch of 250 (500 SKUs), so up to twice the minimum of
those.

Calls by route: {routes}.

SparkLayer publishes no numeric rate limit: {args.plan_limit} calls a minute is the README's
assumed default budget, not a vendor figure. The product writes dominate: the Core API has no
batch product write, so a catalogue costs a call per product on its first sync; later syncs
write only the products that changed (tests/connectors/sparklayer/test_daemon_sparklayer.py).
"""  # noqa: E501
        update_section(
            ROOT / "BENCHMARKS.md", "SparkLayer first sync (scripts/bench_sparklayer.py)", body
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
