#!/usr/bin/env python3
"""Benchmark: a first sync of N products (3 variants, stock at 2 locations, prices and the price
list), sandbox ERP -> daemon -> BigCommerce emulator, at the store quota of 150 calls per 30 s.

The sandbox ERP and the BigCommerce emulator (Standard/Plus quota: 150 per 30 s, shared, with
BigCommerce's headers and 429s) run as their own processes on loopback. The daemon runs ``run
--until-idle`` with the budget the README advises (a second window of 5, a minute window of
300, no class reserves). Measured: wall time from daemon start to exit, calls by route, the
most calls the store saw in one of its 30 s windows, 429 answers, products per minute.

Theoretical minimum for this API: BigCommerce has no batch product create, so each new product
is one POST (with its variants); finding what the store holds already is one ``sku:in`` read
per 250; the price list takes 1,000 records a call; stock 2,000 levels a call plus one read of
the locations; the price list is looked up and created once. At 5 calls a second that many
calls take calls / 5 seconds.

    .venv/bin/python scripts/bench_bigcommerce.py [--products 1000] [--quota 150] [--write]
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

TOKEN = "bc_bench_token"
SECRET = "bc_bench_secret"
HEADING = "BigCommerce first sync at 150 calls per 30 s (scripts/bench_bigcommerce.py)"


def config_text(erp: str, base: str, per_second: int, page_size: int = 100) -> str:
    return f"""
[daemon]
state_file = "state.db"
log_format = "json"
log_level = "info"

[sandbox]
enabled = false

[systems.erp]
kind = "sandbox-erp"
url = "{erp}"
credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}

[systems.bc]
kind = "bigcommerce"
url = "{base}"
credentials.access_token = {{ env = "BC_BENCH_TOKEN" }}
credentials.client_secret = {{ env = "BC_BENCH_SECRET" }}
[systems.bc.budget.windows.second]
limit = {per_second}
[systems.bc.budget.windows.minute]
limit = {per_second * 60}
[systems.bc.budget.reserve]
manual = 0.0
recent = 0.0
ghost = 0.0
full = 0.0
[systems.bc.settings]
location_map = {{ central = "Default location", north = "North store" }}
price_list = "Sandbox Price"

[connections.bench]
source = "erp"
channel = "bc"
flows = ["products", "stock", "prices"]
page_size = {page_size}
workers = 4
[connections.bench.schedule]
full = ""
"""


def start_emulator(tmp: Path, quota: int) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "syncwright.connectors.bigcommerce", "--token", TOKEN,
               "--secret", SECRET, "--quota", str(quota)]  # fmt: skip
    with (tmp / "emulator.log").open("a") as log:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, line.split()[-1]


def minimum_calls(n: int) -> int:
    """Price list look-up and create, sku:in reads, one POST each, price records, the
    locations read, absolute adjustments."""
    return 2 + -(-n // 250) + n + -(-3 * n // 1000) + 1 + -(-6 * n // 2000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--quota", type=int, default=150)
    parser.add_argument("--page-size", type=int, default=100, help="the connection's page_size")
    parser.add_argument("--write", action="store_true", help="record the figures in BENCHMARKS.md")
    args = parser.parse_args()
    n = args.products
    per_second = args.quota // 30
    tmp = Path(tempfile.mkdtemp(prefix="sw-bench-bc-"))
    erp = start_server("erp", tmp / "erp.db", "--products", str(n), "--variants-per-product", "3",
                       "--customers", "0")  # fmt: skip
    emulator, url = start_emulator(tmp, args.quota)
    headers = {"X-Auth-Token": TOKEN}
    try:
        httpx.post(f"{url}/_emulator/locations", json={"label": "North store"}, headers=headers)
        config = tmp / "config.toml"
        config.write_text(config_text(erp.url, f"{url}/stores/abc123", per_second, args.page_size))
        env = {**daemon_env(), "BC_BENCH_TOKEN": TOKEN, "BC_BENCH_SECRET": SECRET}
        print(f"syncing {n:,} products x 3 variants at 2 locations ...", flush=True)
        started = time.monotonic()
        with (tmp / "daemon.log").open("a") as log:
            code = subprocess.run(
                [sys.executable, "-m", "syncwright", "run", "-c", str(config), "--until-idle"],
                stdout=log, stderr=log, env=env, cwd=ROOT, check=False,
            ).returncode  # fmt: skip
        seconds = time.monotonic() - started
        stats: dict[str, Any] = httpx.get(f"{url}/_emulator/stats", headers=headers).json()
        held = httpx.get(f"{url}/_emulator/catalogue", headers=headers, timeout=120).json()
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
        erp.stop()
    if code != 0:
        raise SystemExit(f"the daemon exited with {code}; see {tmp / 'daemon.log'}")
    if len(held["products"]) != n:
        raise SystemExit(f"the emulator holds {len(held['products'])} products, not {n}")
    calls = stats["calls"]
    least = minimum_calls(n)
    routes = ", ".join(f"{k} {v:,}" for k, v in sorted(stats["by_route"].items()))
    rate = n / (seconds / 60)
    print(f"{seconds:.0f} s ({rate:.0f} products/min); {calls:,} calls ({routes}); "
          f"peak {stats['peak_window']} per 30 s window; 429s {stats['rejected']}")  # fmt: skip
    if args.write:
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        load = os.getloadavg()[0]
        body = f"""
Run {when} with `.venv/bin/python scripts/bench_bigcommerce.py --products {n} --quota {args.quota} --write` on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load average {load:.2f} at the end (the machine is shared). Sandbox ERP ({n:,} products x 3 variants, stock at 2 locations) and the BigCommerce emulator (quota {args.quota} per 30 s) as processes on loopback; daemon `run --until-idle`, flows products, stock, prices; budget second {per_second}, minute {per_second * 60}, no class reserves. ERP seeding is not counted.

Minimum for this API: one POST per new product (no batch create), one `sku:in` read per 250, price-list records 1,000 a call, stock 2,000 levels a call, one locations read, the price list looked up and created: {least:,} calls, which at {per_second} a second take {least / per_second:,.0f} s.

| measure | result | minimum | ratio |
|---|---|---|---|
| calls | {calls:,} | {least:,} | {calls / least:.2f} |
| wall time, daemon start to exit | {seconds:,.0f} s | {least / per_second:,.0f} s | {seconds / (least / per_second):.2f} |
| products per minute | {rate:,.0f} | {n / (least / per_second / 60):,.0f} | |
| most calls in one 30 s window of the store | {stats["peak_window"]} | {args.quota} allowed | |
| 429 answers | {stats["rejected"]} | 0 | |

Calls by route: {routes}.
"""  # noqa: E501
        update_section(ROOT / "BENCHMARKS.md", HEADING, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
