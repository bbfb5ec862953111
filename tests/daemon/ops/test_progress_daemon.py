"""A full sync's progress, with a real daemon and the sandbox: status (text and --json), the
events stream and the Prometheus gauges show items done of the total, the rate and the time
left at the budgets' pace while the run goes on."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from control_helpers import RunningDaemon, control_section, wait_for_socket
from harness import ROOT, syncwright, wait_until
from helpers import daemon_env, state, write_config

pytestmark = pytest.mark.slow

PRODUCTS = 60
#: Calls per second the back office allows: a full pass of 15 pages then takes several
#: seconds, long enough to watch.
PER_SECOND = 3


def quiet(config: Path) -> bool:
    rows = state(
        config,
        "SELECT count(*) FROM jobs WHERE state = 'leased' OR (state = 'pending' AND run_at <= ?)",
        (time.time(),),
    )
    return rows[0][0] == 0


def runs_done(config: Path) -> int:
    return int(state(config, "SELECT count(*) FROM full_runs WHERE state = 'done'")[0][0])


def test_a_running_full_sync_shows_its_progress_everywhere(
    sandbox_factory: Any, tmp_path: Path, sock_dir: Path
) -> None:
    box = sandbox_factory(products=PRODUCTS, variants=1)
    sock = sock_dir / "control.sock"
    metrics = '\n[metrics]\nenabled = true\nlisten = "127.0.0.1:0"\n'
    path = write_config(tmp_path, box, page_size=4, extra=control_section(sock) + metrics)
    second = f"[systems.erp.budget.windows.second]\nlimit = {PER_SECOND}\n"
    path.write_text(path.read_text().replace("[systems.shop]", second + "\n[systems.shop]"))
    d = RunningDaemon(path, sock, box)
    events: subprocess.Popen[str] | None = None
    stack = contextlib.ExitStack()
    try:
        wait_for_socket(sock, d)
        url = str(d.wait_for_event("metrics.listening", timeout=60, interval=0.1)[0]["url"])
        wait_until(lambda: runs_done(path) == 1 and quiet(path), timeout=120)
        # A first full run of its own, so the next one knows its total.
        sock_args = ["--socket", str(sock)]
        assert syncwright("resync", "demo", "products", *sock_args).returncode == 0
        wait_until(lambda: runs_done(path) == 2, timeout=120)
        ((total,),) = state(path, "SELECT items FROM full_runs ORDER BY run_id DESC LIMIT 1")
        assert total == PRODUCTS

        log = tmp_path / "events.jsonl"
        sink = stack.enter_context(log.open("w"))
        events = subprocess.Popen(
            [sys.executable, "-m", "syncwright", "events", "--json", *sock_args],
            stdout=sink,
            stderr=subprocess.DEVNULL,
            env=daemon_env(),
            cwd=ROOT,
            text=True,
        )
        assert syncwright("resync", "demo", "products", *sock_args).returncode == 0
        seen: dict[str, Any] = {}

        def in_progress() -> bool:
            snap = json.loads(syncwright("status", "--json", *sock_args).stdout)
            p = snap["connections"][0].get("progress")
            if not p or not 0 < p["items_done"] < PRODUCTS:
                return False
            seen["json"] = p
            seen["text"] = syncwright("status", *sock_args).stdout
            seen["metrics"] = httpx.get(url, timeout=10).text
            return True

        wait_until(in_progress, timeout=120, interval=0.05, message="no progress seen")
        p = seen["json"]
        assert p["kind"] == "full" and p["flows"] == ["products"]
        assert p["items_total"] == PRODUCTS and p["total_from"] == "last full sync"
        assert p["pages_done"] >= 1 and p["rate_per_minute"] > 0
        assert p["eta_seconds"] is not None and p["eta_seconds"] > 0
        # The tighter budget: 3 calls/s less the 30 % full syncs keep for others.
        assert p["budget_calls_per_minute"] == pytest.approx(PER_SECOND * 0.7 * 60)
        assert f"of ~{PRODUCTS} items" in seen["text"]
        assert "calls/min" in seen["text"]
        labels = 'connection="demo",flow="products",kind="full"'
        assert f"syncwright_progress_items_total{{{labels}}} {PRODUCTS}.0" in seen["metrics"]
        assert f"syncwright_progress_eta_seconds{{{labels}}}" in seen["metrics"]

        def progress_events() -> list[dict[str, Any]]:
            lines = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
            return [e for e in lines if e["event"] == "full.progress"]

        wait_until(lambda: progress_events(), timeout=60)
        first = progress_events()[0]
        assert first["connection"] == "demo" and f"of ~{PRODUCTS} items" in first["detail"]
        wait_until(lambda: runs_done(path) == 3, timeout=120)
    finally:
        if events is not None:
            events.terminate()
            events.wait(timeout=10)
        stack.close()
        d.stop()
