#!/usr/bin/env python3
"""Benchmark: the daemon idling with many configured connections (schedules far apart).

Starts the sandbox ERP and shop as their own processes, then the daemon with N connections
(default 1,000) between them. Waits until the start-up round of pulls has drained, then samples
the daemon's CPU time over an idle window. Reports peak RSS (VmHWM) and idle CPU as a share of
one core. Targets (issue 2): peak RSS < 300 MB, idle CPU < 2 % of one core.

    .venv/bin/python scripts/bench_idle.py [--connections 1000] [--idle 60] [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib import update_section  # noqa: E402
from helpers import API_KEY, daemon_env, start_server  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def config_text(erp: str, shop: str, connections: int) -> str:
    head = f"""
[daemon]
state_file = "state.db"
log_format = "json"
log_level = "warning"

[systems.erp]
kind = "sandbox-erp"
url = "{erp}"
credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}
[systems.erp.budget.windows.day]
limit = 10000000

[systems.shop]
kind = "sandbox-shop"
url = "{shop}"
credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}
"""
    body = "".join(
        f"""
[connections.c{i:04d}]
source = "erp"
channel = "shop"
flows = ["products", "stock"]
workers = 2
schedule = {{ recent = "1d", ghost_interval = "1d", full = "off" }}
"""
        for i in range(connections)
    )
    return head + body


def pending(state: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return -1
    try:
        (n,) = conn.execute(
            "SELECT count(*) FROM jobs WHERE state IN ('pending', 'leased')"
        ).fetchone()
        (total,) = conn.execute("SELECT count(*) FROM jobs").fetchone()
    except sqlite3.OperationalError:
        return -1
    finally:
        conn.close()
    return int(n) if total else -1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--idle", type=float, default=60.0, help="idle sampling window, seconds")
    parser.add_argument("--write", action="store_true", help="record the figures in BENCHMARKS.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sw-bench-idle-") as tmp_name:
        tmp = Path(tmp_name)
        erp = start_server(
            "erp", tmp / "erp.db", "--products", "20", "--variants", "1", "--customers", "0"
        )
        shop = start_server("shop", tmp / "shop.db")
        config = tmp / "config.toml"
        config.write_text(config_text(erp.url, shop.url, args.connections))
        log = (tmp / "daemon.log").open("w")
        started = time.monotonic()
        daemon = subprocess.Popen(
            [sys.executable, "-m", "syncwright", "run", "--config", str(config)],
            stdout=log,
            stderr=log,
            env={**daemon_env(), "SYNCWRIGHT_TEST_KEY": API_KEY},
            cwd=ROOT,
        )
        try:
            while pending(tmp / "state.db") != 0:
                if daemon.poll() is not None:
                    raise SystemExit(f"daemon exited: {(tmp / 'daemon.log').read_text()[-2000:]}")
                if time.monotonic() - started > 600:
                    raise SystemExit("start-up round did not drain in 600 s")
                time.sleep(0.5)
            drained = time.monotonic() - started
            time.sleep(5)  # let the last commits and wake-ups settle
            cpu0, t0 = cpu_seconds(daemon.pid), time.monotonic()
            time.sleep(args.idle)
            cpu1, t1 = cpu_seconds(daemon.pid), time.monotonic()
            rss_peak = status_kb(daemon.pid, "VmHWM") / 1024
            rss_now = status_kb(daemon.pid, "VmRSS") / 1024
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                daemon.kill()
            log.close()
            erp.stop()
            shop.stop()
    idle_cpu = 100 * (cpu1 - cpu0) / (t1 - t0)
    today = dt.date.today().isoformat()
    command = f"python scripts/bench_idle.py --connections {args.connections} --idle {args.idle:g}"
    rows = [
        (
            "connections",
            f"{args.connections}",
            "",
            f"start-up round drained in {drained:.1f} s ({2 * args.connections} pull jobs)",
        ),
        ("peak RSS (VmHWM)", f"{rss_peak:.0f} MB", "< 300 MB", f"RSS when idle {rss_now:.0f} MB"),
        ("idle CPU", f"{idle_cpu:.2f} % of one core", "< 2 %", f"over {args.idle:g} s"),
    ]
    table = "| measure | result | target | notes |\n|---|---|---|---|\n" + "".join(
        f"| {a} | {b} | {c} | {d} |\n" for a, b, c, d in rows
    )
    text = f"Command: `{command}`  \nDate: {today}, this machine (2 cores).\n\n{table}"
    print(text)
    if args.write:
        update_section(ROOT / "BENCHMARKS.md", "Idle daemon (scripts/bench_idle.py)", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
