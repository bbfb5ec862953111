"""A first change pass and a backlog show their progress everywhere, with a real daemon and
the sandbox: status (text and --json), the events stream and the Prometheus gauges."""

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
from test_progress_daemon import PER_SECOND, PRODUCTS, quiet, runs_done

pytestmark = pytest.mark.slow

BACKLOG = 60


def test_a_first_change_pass_and_a_backlog_show_their_progress(
    sandbox_factory: Any, tmp_path: Path, sock_dir: Path
) -> None:
    box = sandbox_factory(products=PRODUCTS, variants=1)
    sock = sock_dir / "control.sock"
    metrics = '\n[metrics]\nenabled = true\nlisten = "127.0.0.1:0"\n'
    path = write_config(tmp_path, box, page_size=4, extra=control_section(sock) + metrics)
    second = f"[systems.erp.budget.windows.second]\nlimit = {PER_SECOND}\n"
    path.write_text(path.read_text().replace("[systems.shop]", second + "\n[systems.shop]"))
    d = RunningDaemon(path, sock, box)
    sock_args = ["--socket", str(sock)]
    events: subprocess.Popen[str] | None = None
    stack = contextlib.ExitStack()
    log = tmp_path / "events.jsonl"
    try:
        wait_for_socket(sock, d)
        sink = stack.enter_context(log.open("w"))
        events = subprocess.Popen(
            [sys.executable, "-m", "syncwright", "events", "--json", *sock_args],
            stdout=sink,
            stderr=subprocess.DEVNULL,
            env=daemon_env(),
            cwd=ROOT,
            text=True,
        )
        url = str(d.wait_for_event("metrics.listening", timeout=60, interval=0.1)[0]["url"])
        seen: dict[str, Any] = {}

        def works(kind: str) -> list[dict[str, Any]]:
            snap = json.loads(syncwright("status", "--json", *sock_args).stdout)
            return [w for w in snap["connections"][0].get("work", []) if w["kind"] == kind]

        # The first start's first change pass of products: 15 pages of 4 at 3 calls/s.
        def first_pass() -> bool:
            found = [w for w in works("first_pass") if w["flows"] == ["products"]]
            if not found or not 0 < found[0]["items_done"] < PRODUCTS:
                return False
            seen["pass"] = found[0]
            seen["text"] = syncwright("status", *sock_args).stdout
            seen["metrics"] = httpx.get(url, timeout=10).text
            return True

        wait_until(first_pass, timeout=120, interval=0.05, message="no first pass seen")
        p = seen["pass"]
        assert p["pages_done"] >= 1 and p["rate_per_minute"] > 0 and p["unit"] == "items"
        assert p["items_total"] is None and p["eta_seconds"] is None
        assert "first change pass of products:" in seen["text"]
        labels = 'connection="demo",flow="products",kind="first_pass"'
        assert f"syncwright_progress_items_done{{{labels}}}" in seen["metrics"]

        def told(name: str) -> list[dict[str, Any]]:
            lines = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
            return [e for e in lines if e["event"] == name]

        wait_until(lambda: told("pass.progress"), timeout=60)
        assert "first change pass of products" in told("pass.progress")[0]["detail"]
        wait_until(lambda: runs_done(path) == 1 and quiet(path), timeout=180)
        assert works("first_pass") == []

        # A backlog: 60 item syncs queued while the connection is paused.
        assert syncwright("pause", "demo", *sock_args).returncode == 0
        now = time.time()
        for i in range(1, BACKLOG + 1):
            payload = json.dumps({"flow": "products", "id_or_sku": str(i), "stock": True})
            state(
                path,
                "INSERT INTO jobs (connection, kind, class, state, payload, run_at, enqueued_at)"
                " VALUES ('demo', 'sync_item', 1, 'pending', ?, ?, ?)",
                (payload, now, now),
            )
        (b,) = works("backlog")
        assert (b["unit"], b["items_total"], b["items_done"]) == ("jobs", BACKLOG, 0)
        # Nothing done yet: the time left is the budgets' pace for manual work (class 1 may
        # spend 95 % of 3 calls/s), two calls a job.
        assert b["budget_calls_per_minute"] == pytest.approx(PER_SECOND * 0.95 * 60)
        assert b["eta_seconds"] == pytest.approx(BACKLOG * 2 / (PER_SECOND * 0.95), abs=0.2)
        assert (
            f"backlog: 0 of {BACKLOG} jobs done, {BACKLOG} left"
            in syncwright("status", *sock_args).stdout
        )
        gauges = httpx.get(url, timeout=10).text
        assert 'kind="backlog"' in gauges and "syncwright_progress_eta_seconds" in gauges
        wait_until(lambda: told("backlog.progress"), timeout=60)
        assert f"0 of {BACKLOG} jobs done" in told("backlog.progress")[0]["detail"]
        assert syncwright("resume", "demo", *sock_args).returncode == 0
        wait_until(lambda: quiet(path), timeout=180)
        assert works("backlog") == []
    finally:
        if events is not None:
            events.terminate()
            events.wait(timeout=10)
        stack.close()
        d.stop()
