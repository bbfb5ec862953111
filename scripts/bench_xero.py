#!/usr/bin/env python3
"""Benchmark: Xero -> daemon -> sandbox shop: calls and time per 1,000 items and per 100 orders,
against Xero's 60 calls a minute and 5,000 a day per organisation.

The Xero emulator (N tracked items, Xero's limits: 60/min, 5,000/day, 5 concurrent) and the
sandbox shop run as their own processes on loopback; the daemon runs ``run --until-idle`` with
Xero's budget as config.toml's example sets it (60 a minute, 5,000 a day). Measured, from the
emulator's own counts: the calls of a full sync (products, prices, stock), of an incremental
sync after 10 stock changes, and of posting M shop orders (from M/5 buyers) as invoices; the
wall time of each; the busiest rolling minute; 429s.

Minimum for this API: Items come whole in one answer, so a pass is one call whatever N is; the
products flow (prices travel with them) and the stock flow are one pass each: 2 calls for a
full or an incremental sync. An order needs its invoice looked up by Reference and created (2),
and its buyer looked up by e-mail and, the first time, created (1 or 2).

    .venv/bin/python scripts/bench_xero.py [--items 1000] [--orders 100] [--write]
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
from harness import start_listening, stop_process  # noqa: E402
from helpers import API_KEY, daemon_env, start_server  # noqa: E402

from syncwright.connectors.xero.auth import write_refresh_token  # noqa: E402

TENANT = "3b1b3e55-0000-4000-8000-000000000001"


def config_text(xero: str, shop: str, token_file: Path, flows: str) -> str:
    return f"""
[daemon]
state_file = "state.db"
log_format = "json"
log_level = "info"

[systems.books]
kind = "xero"
url = "{xero}/api.xro/2.0"
credentials.client_id = {{ env = "XERO_BENCH_ID" }}
credentials.client_secret = {{ env = "XERO_BENCH_SECRET" }}
credentials.webhook_key = {{ env = "XERO_BENCH_SECRET" }}
[systems.books.budget.windows.minute]
limit = 60
[systems.books.budget.windows.day]
limit = 5000
[systems.books.settings]
tenant_id = "{TENANT}"
token_url = "{xero}/connect/token"
token_file = "{token_file}"

[systems.shop]
kind = "sandbox-shop"
url = "{shop}"
credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}

[connections.bench]
source = "books"
channel = "shop"
flows = {flows}
workers = 4
[connections.bench.schedule]
recent = "5m"
"""


def run_daemon(tmp: Path, config: Path) -> float:
    env = {**daemon_env(), "XERO_BENCH_ID": "client", "XERO_BENCH_SECRET": "secret"}
    started = time.monotonic()
    with (tmp / "daemon.log").open("a") as log:
        code = subprocess.run(
            [sys.executable, "-m", "syncwright", "run", "-c", str(config), "--until-idle"],
            stdout=log, stderr=log, env=env, cwd=ROOT, check=False,
        ).returncode  # fmt: skip
    if code != 0:
        raise SystemExit(f"the daemon failed ({code}); see {tmp / 'daemon.log'}")
    return time.monotonic() - started


def stats(url: str) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"{url}/_emulator/stats", timeout=30).json()
    return found


def calls(before: dict[str, Any], after: dict[str, Any]) -> tuple[int, str]:
    routes = {
        k: v - before["by_route"].get(k, 0)
        for k, v in sorted(after["by_route"].items())
        if v - before["by_route"].get(k, 0)
    }
    return after["calls"] - before["calls"], ", ".join(f"{k} {v}" for k, v in routes.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--write", action="store_true", help="record the figures in BENCHMARKS.md")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sw-bench-xero-"))
    command = [sys.executable, "-m", "syncwright.connectors.xero", "--listen", "127.0.0.1:0",
               "--tenant", TENANT, "--refresh-token", "r0", "--items", str(args.items)]  # fmt: skip
    xero, url = start_listening(command, tmp / "xero.log", "xero emulator")
    shop = start_server("shop", tmp / "shop.db", "--locations", "Main")
    token_file = tmp / "token.json"
    write_refresh_token(token_file, "r0")
    config = tmp / "config.toml"
    rows: list[tuple[str, int, str, float]] = []
    try:
        config.write_text(config_text(url, shop.url, token_file, '["products", "stock", "prices"]'))
        before = stats(url)
        seconds = run_daemon(tmp, config)
        rows.append((f"full sync of {args.items:,} items", *calls(before, stats(url)), seconds))
        changed = {f"XSKU-{n:05d}": 1000 + n for n in range(0, args.items, args.items // 10)}
        httpx.post(f"{url}/_emulator/stock", json=changed, timeout=30).raise_for_status()
        before = stats(url)
        seconds = run_daemon(tmp, config)
        label = f"incremental sync, {len(changed)} stock changes"
        rows.append((label, *calls(before, stats(url)), seconds))
        headers = {"Authorization": f"Bearer {API_KEY}"}
        for n in range(args.orders):
            body = {
                "customer": {"email": f"buyer{n % max(1, args.orders // 5)}@example.test",
                             "first_name": "Buyer", "last_name": str(n)},
                "lines": [{"sku": f"XSKU-{(n * 7) % args.items:05d}", "quantity": 1,
                           "unit_price": "12.00", "title": "Item"}],
            }  # fmt: skip
            httpx.post(f"{shop.url}/admin/orders", json=body, headers=headers,
                       timeout=30).raise_for_status()  # fmt: skip
        config.write_text(config_text(url, shop.url, token_file, '["orders"]'))
        before = stats(url)
        seconds = run_daemon(tmp, config)
        label = f"{args.orders} orders posted ({max(1, args.orders // 5)} buyers)"
        rows.append((label, *calls(before, stats(url)), seconds))
        final = stats(url)
        invoices = httpx.get(f"{url}/_emulator/records/invoices", timeout=30).json()
    finally:
        stop_process(xero)
        shop.stop()
    load = os.getloadavg()
    table = ["| run | Xero calls | share of 5,000/day | wall time | calls by route |",
             "|---|---|---|---|---|"]  # fmt: skip
    for label, count, routes, seconds in rows:
        table.append(f"| {label} | {count:,} | {count / 5000:.2%} | {seconds:,.1f} s | {routes} |")
    summary = "\n".join(table)
    extra = (
        f"\nInvoices held afterwards: {len(invoices)} for {args.orders} orders (distinct "
        f"references: {len({i['Reference'] for i in invoices})}). Busiest rolling minute at the "
        f"emulator: {final['busiest_minute']} calls (limit 60); refused by Xero's limits: "
        f"{final['refused']}.\n"
    )
    print(summary + "\n" + extra)
    if args.write:
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        update_section(
            ROOT / "BENCHMARKS.md",
            "Xero back office (scripts/bench_xero.py)",
            f"""
Run {when} with `.venv/bin/python scripts/bench_xero.py --items {args.items} --orders {args.orders} --write` on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load average {load[0]:.2f} at the end. The Xero emulator (Xero's limits: 60 calls a minute, 5,000 a day) and the sandbox shop as processes on loopback; daemon `run --until-idle`, Xero budget 60/minute and 5,000/day as in the README.

Minimum: a full or incremental sync is one `GET /Items` per pass (Items come whole), one pass for products with their prices and one for stock: 2 calls at any catalogue size. An order is at least its invoice look-up and create (2 calls), plus its buyer's look-up (and the first time, create) unless the buyer is linked already.

{summary}
{extra}""",  # noqa: E501
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
