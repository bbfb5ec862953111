#!/usr/bin/env python3
"""Chaos soak: the real daemon SIGKILLed N times at seeded random moments while the sandbox
ERP edits its catalogue and the sandbox shop takes orders; then quiescence and the checks.

The sandbox ERP (with its change generator) and the sandbox shop (with its order generator)
run as their own processes for the whole soak, so they outlive every daemon; each records the
arrival time of every API call (``GET /admin/call-times``). The daemon (``syncwright run``, a
process on a real state file) syncs products, stock and orders under tight budget windows.

1. Kills: N times, after a seeded random gap (``--min-gap`` .. ``--max-gap`` seconds), the
   daemon gets SIGKILL and is started again at once. A daemon that ends on its own is a defect.
2. Endurance: one last daemon runs ``--endurance`` seconds with the generators on; its RSS
   (VmRSS) is sampled every second. After the warm-up (the first third) it must stay flat:
   the mean of the last fifth within 10 % of the mean of the first fifth after warm-up.
3. Quiescence: the generators stop, the daemon stops with SIGTERM (exit 0), then
   ``run --until-idle`` finishes what is queued and pulls what changed.
4. Checks: the shop's catalogue (content hashes) and stock equal the ERP's (0 lost changes);
   every shop order is in the ERP exactly once under its channel reference, and nothing else
   is (0 posted twice or missing); every job is done or dead, each dead one with its error;
   no span of any budget window held more calls at a server than the window's limit.

    .venv/bin/python scripts/chaos.py [--kills 100] [--seed 1] [--write]

Exit 0 when every check holds; 1 with the failed checks listed. ``--write`` records the
figures in BENCHMARKS.md. tests/integration/test_chaos.py runs a short seeded soak.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib import update_section  # noqa: E402
from helpers import API_KEY, Sandbox, Server, daemon_env, snapshot, start_server  # noqa: E402

#: Budget windows of the soak: (system, window, limit, mode); ``--erp-minute`` and
#: ``--shop-minute`` change the rolling minutes.
WINDOWS = (
    ("erp", "minute", 240, "rolling"),
    ("erp", "hour", 12000, "calendar"),
    ("shop", "minute", 240, "rolling"),
)


def windows(args: argparse.Namespace) -> list[tuple[str, str, int, str]]:
    minute = {"erp": args.erp_minute, "shop": args.shop_minute}
    return [
        (system, window, minute[system] if window == "minute" else limit, mode)
        for system, window, limit, mode in WINDOWS
    ]


SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
#: Budget windows are counted when a call is sent and checked at the server when it arrives;
#: a call sent just inside a span may arrive just outside it, never the other way round by
#: more than the loopback latency. The server check allows nothing extra: a peak above the
#: limit is a defect.
RSS_TOLERANCE = 0.10


def config_text(erp: str, shop: str, args: argparse.Namespace) -> str:
    budgets = ""
    for system, window, limit, mode in windows(args):
        table = f"systems.{system}.budget.windows.{window}"
        budgets += f'\n[{table}]\nlimit = {limit}\nmode = "{mode}"\n'
    return f"""
[daemon]
state_file = "state/state.db"
log_format = "json"
log_level = "info"
shutdown_grace = "10s"

[sandbox]
enabled = false

[systems.erp]
kind = "sandbox-erp"
url = "{erp}"
credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}

[systems.shop]
kind = "sandbox-shop"
url = "{shop}"
credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}
{budgets}
[connections.chaos]
source = "erp"
channel = "shop"
flows = ["products", "stock", "orders"]
page_size = {args.page_size}
workers = 4
schedule = {{ recent = "{args.recent}s", ghost_interval = "1m", full = "off" }}
"""


@dataclass
class Soak:
    """What the soak saw, for the report."""

    kills: int = 0
    unexpected_exits: list[int] = field(default_factory=list)
    rss: list[tuple[float, int]] = field(default_factory=list)  # endurance: (s, kB)
    rss_per_life: list[int] = field(default_factory=list)  # last RSS before each kill, kB
    failures: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


def vm_rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class DaemonRunner:
    """``syncwright run`` on the soak's config, its output appended to daemon.log."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.log = config.parent / "daemon.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *extra: str) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "syncwright", "run", "--config", str(self.config), *extra],
                stdout=out,
                stderr=out,
                env={**daemon_env(), "SYNCWRIGHT_TEST_KEY": API_KEY},
                cwd=ROOT,
            )
        return self.proc

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def sample_for(proc: subprocess.Popen[bytes], seconds: float, every: float) -> list[int]:
    """RSS samples of ``proc`` for ``seconds`` (fewer if it ends)."""
    samples: list[int] = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(every, left))
        if proc.poll() is not None:
            break
        if (kb := vm_rss_kb(proc.pid)) is not None:
            samples.append(kb)
    return samples


def kill_phase(runner: DaemonRunner, soak: Soak, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    proc = runner.start()
    for n in range(args.kills):
        gap = rng.uniform(args.min_gap, args.max_gap)
        samples = sample_for(proc, gap, 0.5)
        if proc.poll() is not None:
            soak.unexpected_exits.append(proc.returncode)
        else:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            soak.kills += 1
            if samples:
                soak.rss_per_life.append(samples[-1])
        if (n + 1) % 10 == 0:
            print(f"  {n + 1} kills", flush=True)
        proc = runner.start()
    runner.proc = proc


def endurance_phase(runner: DaemonRunner, soak: Soak, args: argparse.Namespace) -> None:
    proc = runner.proc
    assert proc is not None
    started = time.monotonic()
    while time.monotonic() - started < args.endurance and proc.poll() is None:
        time.sleep(1.0)
        if (kb := vm_rss_kb(proc.pid)) is not None:
            soak.rss.append((time.monotonic() - started, kb))
    if proc.poll() is not None:
        soak.unexpected_exits.append(proc.returncode)


def rss_check(soak: Soak) -> None:
    warm = [kb for t, kb in soak.rss if t >= soak.figures["endurance_s"] / 3]
    if len(warm) < 10:
        soak.failures.append(f"too few RSS samples after warm-up ({len(warm)})")
        return
    fifth = max(1, len(warm) // 5)
    first, last = sum(warm[:fifth]) / fifth, sum(warm[-fifth:]) / fifth
    growth = last / first - 1
    soak.figures["rss_mb"] = {
        "after_warmup": round(first / 1024, 1),
        "end": round(last / 1024, 1),
        "max": round(max(warm) / 1024, 1),
        "growth_pct": round(100 * growth, 1),
    }
    if soak.rss_per_life:
        lives = soak.rss_per_life
        soak.figures["rss_mb"]["at_kill_first_last_max"] = [
            round(lives[0] / 1024, 1),
            round(lives[-1] / 1024, 1),
            round(max(lives) / 1024, 1),
        ]
    if growth > RSS_TOLERANCE:
        soak.failures.append(
            f"daemon RSS grew {100 * growth:.1f} % after warm-up "
            f"({first / 1024:.1f} MB -> {last / 1024:.1f} MB)"
        )


def get(client: httpx.Client, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    response.raise_for_status()
    return response.json()


def all_pages(client: httpx.Client, url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000}
    while True:
        body = get(client, url, **params)
        items += body["items"]
        if not body.get("next"):
            return items
        params = {"limit": 1000, "after_id": body["next"]["after_id"]}


def quiesce(box: Sandbox, runner: DaemonRunner, soak: Soak, client: httpx.Client) -> None:
    for server in (box.erp, box.shop):
        client.post(f"{server.url}/admin/generator", json={"rate": 0}).raise_for_status()
    proc = runner.proc
    assert proc is not None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
            soak.failures.append("the daemon did not stop within 60 s of SIGTERM")
        if code != 0:
            soak.failures.append(f"the daemon exited {code} on SIGTERM")
    # The generators wrote up to one tick more after the rate went to 0; let it land.
    time.sleep(1.0)
    started = time.monotonic()
    code = runner.start("--until-idle").wait(timeout=600)
    soak.figures["until_idle_s"] = round(time.monotonic() - started, 1)
    if code != 0:
        soak.failures.append(f"run --until-idle exited {code}")


def check_sync(box: Sandbox, soak: Soak) -> None:
    snap = snapshot(box)
    erp_p, shop_p = snap["erp_products"], snap["shop_products"]
    lost = [k for k, v in erp_p.items() if shop_p.get(k) != v]
    stock_lost = [k for k, v in snap["erp_stock"].items() if snap["shop_stock"].get(k) != v]
    soak.figures["products"] = len(erp_p)
    soak.figures["stock_rows"] = len(snap["erp_stock"])
    soak.figures["lost_changes"] = len(lost) + len(stock_lost)
    if lost or stock_lost:
        soak.failures.append(
            f"{len(lost)} products and {len(stock_lost)} stock levels differ in the shop, "
            f"e.g. {(lost + stock_lost)[:5]}"
        )


def check_orders(box: Sandbox, soak: Soak, client: httpx.Client) -> None:
    shop = {f"shop:{o['id']}" for o in all_pages(client, f"{box.shop.url}/api/orders")}
    erp = [o["channel_ref"] for o in all_pages(client, f"{box.erp.url}/api/orders")]
    created = get(client, f"{box.erp.url}/admin/stats")["orders_created"]
    twice = len(erp) - len(set(erp)) + max(0, created - len(erp))
    missing = sorted(shop - set(erp))
    unknown = sorted(set(erp) - shop)
    soak.figures["orders"] = {"placed": len(shop), "posted": len(set(erp)), "created": created}
    soak.figures["orders_twice"] = twice
    soak.figures["orders_missing"] = len(missing)
    if twice:
        soak.failures.append(f"{twice} orders posted twice")
    if missing:
        soak.failures.append(f"{len(missing)} orders never posted, e.g. {missing[:5]}")
    if unknown:
        soak.failures.append(f"{len(unknown)} posted orders the shop never had: {unknown[:5]}")


def check_jobs(state: Path, soak: Soak) -> None:
    conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        states = dict(conn.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
        dead = conn.execute(
            "SELECT id, kind, coalesce(last_error, '') FROM jobs WHERE state = 'dead'"
        ).fetchall()
    finally:
        conn.close()
    soak.figures["jobs"] = states
    open_jobs = {k: v for k, v in states.items() if k not in ("done", "dead")}
    if open_jobs:
        soak.failures.append(f"jobs neither done nor dead after quiescence: {open_jobs}")
    silent = [row[0] for row in dead if not row[2].strip()]
    if silent:
        soak.failures.append(f"{len(silent)} dead jobs without a reason, e.g. ids {silent[:5]}")
    soak.figures["dead_reasons"] = sorted({f"{kind}: {error[:100]}" for _, kind, error in dead})


def peak_rolling(times: list[float], span: float) -> tuple[int, float]:
    """The most calls in any half-open span ``[t, t + span)``, and where it starts."""
    best, at = 0, 0.0
    for i, start in enumerate(times):
        n = bisect.bisect_left(times, start + span, lo=i) - i
        if n > best:
            best, at = n, start
    return best, at


def peak_calendar(times: list[float], span: int) -> tuple[int, float]:
    """The most calls in one calendar period of ``span`` seconds (UTC boundaries)."""
    counts: dict[int, int] = {}
    for t in times:
        counts[int(t // span)] = counts.get(int(t // span), 0) + 1
    if not counts:
        return 0, 0.0
    period = max(counts, key=lambda k: counts[k])
    return counts[period], float(period * span)


def check_windows(
    box: Sandbox, soak: Soak, client: httpx.Client, since: float, args: argparse.Namespace
) -> None:
    servers = {"erp": box.erp, "shop": box.shop}
    times = {
        name: sorted(get(client, f"{server.url}/admin/call-times", since=since)["times"])
        for name, server in servers.items()
    }
    soak.figures["calls"] = {name: len(t) for name, t in times.items()}
    peaks = {}
    for system, window, limit, mode in windows(args):
        peak = peak_rolling if mode == "rolling" else peak_calendar
        most, at = peak(times[system], SECONDS[window])
        peaks[f"{system} {window} ({mode}, limit {limit})"] = most
        if most > limit:
            when = dt.datetime.fromtimestamp(at, dt.UTC).strftime("%H:%M:%S.%f")[:-3]
            soak.failures.append(
                f"{system}: {most} calls in one {mode} {window} from {when} UTC, limit {limit}"
            )
    soak.figures["window_peaks"] = peaks


def report(soak: Soak, args: argparse.Namespace, load: str) -> str:
    f = soak.figures
    rss = f.get("rss_mb", {})
    lines = [
        f"Run {f['date']} on {f['machine']}; load before: {load}; after: {f['load_after']}.",
        "",
        "    .venv/bin/python scripts/chaos.py " + " ".join(f["argv"]),
        "",
        "| figure | value |",
        "|---|---|",
        f"| SIGKILLs (seeded gaps {args.min_gap:g}-{args.max_gap:g} s) | {soak.kills} |",
        f"| soak duration | {f['soak_s']:.0f} s (kills) + {f['endurance_s']:.0f} s (endurance) |",
        f"| daemon exits not caused by a kill | {len(soak.unexpected_exits)} |",
        f"| products / stock rows at the end | {f.get('products')} / {f.get('stock_rows')} |",
        f"| ERP edits made by the change generator | {f.get('edits')} |",
        f"| lost changes (shop differs from ERP after quiescence) | {f.get('lost_changes')} |",
        f"| orders placed / posted / created in the ERP | {f.get('orders', {}).get('placed')} / "
        f"{f.get('orders', {}).get('posted')} / {f.get('orders', {}).get('created')} |",
        f"| orders posted twice / missing | {f.get('orders_twice')} / {f.get('orders_missing')} |",
        f"| jobs by state after quiescence | {f.get('jobs')} |",
        f"| run --until-idle after SIGTERM | {f.get('until_idle_s')} s |",
        f"| API calls at the servers (erp, shop) | {f.get('calls')} |",
    ]
    for name, most in f.get("window_peaks", {}).items():
        lines.append(f"| busiest span at the server: {name} | {most} |")
    if rss:
        lines.append(
            f"| daemon RSS in the endurance run, after warm-up -> end (max) | "
            f"{rss['after_warmup']} -> {rss['end']} MB ({rss['max']} MB), "
            f"{rss['growth_pct']:+.1f} % |"
        )
        if "at_kill_first_last_max" in rss:
            a, b, c = rss["at_kill_first_last_max"]
            lines.append(
                f"| daemon RSS just before a kill: first / last / max | {a} / {b} / {c} MB |"
            )
    if f.get("dead_reasons"):
        lines.append(f"| dead jobs' reasons | {'; '.join(f['dead_reasons'])[:400]} |")
    verdict = "all checks hold" if not soak.failures else "FAILED: " + "; ".join(soak.failures)
    lines += ["", f"Result: {verdict}."]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-gap", type=float, default=2.0, help="seconds between kills, least")
    parser.add_argument("--max-gap", type=float, default=12.0, help="seconds between kills, most")
    parser.add_argument("--endurance", type=float, default=180.0, help="seconds, last daemon")
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--change-rate", type=float, default=3.0, help="ERP edits per second")
    parser.add_argument("--order-rate", type=float, default=0.3, help="shop orders per second")
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--recent", type=float, default=3.0, help="pull interval, seconds")
    parser.add_argument("--erp-minute", type=int, default=240, help="ERP calls per minute")
    parser.add_argument("--shop-minute", type=int, default=240, help="shop calls per minute")
    parser.add_argument("--dir", type=Path, help="work directory (default: a new temporary one)")
    parser.add_argument("--write", action="store_true", help="record the figures in BENCHMARKS.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = args.dir or Path(tempfile.mkdtemp(prefix="sw-chaos-"))
    tmp.mkdir(parents=True, exist_ok=True)
    load = os.popen("uptime").read().strip()
    print(f"chaos soak in {tmp}: {args.kills} kills, seed {args.seed}", flush=True)
    started_at = time.time()
    erp = start_server(
        "erp",
        tmp / "erp.db",
        *("--products", str(args.products), "--variants", "1"),
        *("--customers", str(args.customers), "--change-rate", str(args.change_rate)),
        *("--seed", str(args.seed)),
    )
    shop: Server | None = None
    soak = Soak()
    try:
        shop = start_server(
            "shop", tmp / "shop.db", "--order-rate", str(args.order_rate), "--seed", str(args.seed)
        )
        box = Sandbox(erp, shop, tmp)
        config = tmp / "config.toml"
        config.write_text(config_text(erp.url, shop.url, args))
        runner = DaemonRunner(config)
        client = httpx.Client(headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60)
        t0 = time.monotonic()
        kill_phase(runner, soak, args)
        soak.figures["soak_s"] = time.monotonic() - t0
        soak.figures["endurance_s"] = args.endurance
        print(f"{soak.kills} kills in {soak.figures['soak_s']:.0f} s; endurance ...", flush=True)
        endurance_phase(runner, soak, args)
        rss_check(soak)
        quiesce(box, runner, soak, client)
        soak.figures["edits"] = get(client, f"{erp.url}/admin/stats")["generator"]["applied"]
        check_sync(box, soak)
        check_orders(box, soak, client)
        check_jobs(tmp / "state" / "state.db", soak)
        check_windows(box, soak, client, started_at, args)
        if soak.unexpected_exits:
            soak.failures.append(
                f"{len(soak.unexpected_exits)} daemon runs ended without a kill, exit codes "
                f"{sorted(set(soak.unexpected_exits))} (see {runner.log})"
            )
    finally:
        erp.stop()
        if shop is not None:
            shop.stop()
    soak.figures.update(
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=f"{os.cpu_count()} cores",
        load_after=os.popen("uptime").read().strip(),
        argv=sys.argv[1:] if argv is None else argv,
    )
    text = report(soak, args, load)
    print(text)
    (tmp / "figures.json").write_text(json.dumps(soak.figures, indent=2, default=str))
    if args.write:
        heading = "Chaos soak (scripts/chaos.py)"
        update_section(ROOT / "BENCHMARKS.md", heading, text)
    return 1 if soak.failures else 0


if __name__ == "__main__":
    sys.exit(main())
