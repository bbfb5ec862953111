"""The planner's spend history in a real state file, and the planner on the command line."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from harness import syncwright, wait_until
from helpers import API_KEY, Sandbox, daemon_env, sandbox_daemon, state, write_config

from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.windows import WindowSpec
from syncwright.daemon.clock import FakeClock, iso
from syncwright.daemon.config.load import load_config
from syncwright.daemon.ops.planner_history import HistoryRecorder, live_report, offline_report
from syncwright.daemon.store.db import Store

HEADERS = {"Authorization": f"Bearer {API_KEY}"}

CONFIG = """
[daemon]
state_file = "state.db"
[sandbox]
enabled = false
[systems.erp]
kind = "sandbox-erp"
url = "http://127.0.0.1:1"
credentials = { api_key = { env = "SYNCWRIGHT_TEST_KEY" } }
[systems.erp.budget.windows.minute]
limit = 100
[systems.shop]
kind = "sandbox-shop"
url = "http://127.0.0.1:2"
credentials = { api_key = { env = "SYNCWRIGHT_TEST_KEY" } }
[connections.demo]
source = "erp"
channel = "shop"
flows = ["products"]
[connections.demo.schedule]
recent = "30s"
"""


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return syncwright(*args, env=daemon_env())


def test_recorded_spend_feeds_the_live_and_offline_reports_and_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    config = load_config(path)
    clock = FakeClock()
    clock.set(time.time())

    async def main() -> None:
        store = await Store.open(config.daemon.state_file)
        async with anyio.create_task_group() as tg:
            await tg.start(store.serve)
            erp = Budget("erp", [WindowSpec("minute", 100.0)], clock=clock)
            budgets = {"erp": erp, "shop": Budget("shop", [], clock=clock)}
            recorder = HistoryRecorder(budgets, store, clock)
            assert await recorder.record() == 2, "this minute marked as run, for each system"
            for _ in range(41):
                assert erp.try_spend(2, 1.0)  # class 2 (recent), one call
            erp.observe(429, {})
            await erp.flush(store)  # the spend goes in with the usage, as the gate writes it
            clock.advance(60)
            assert erp.try_spend(2, 1.0)
            await erp.flush(store)
            assert await recorder.record() == 1, "the shop's mark; the ERP's minute has spend"
            assert await recorder.record() == 0, "this minute is marked already"
            live = await live_report(config, budgets, store, clock)
            (plan,) = [s for s in live.systems if s.system == "erp"]
            assert plan.calls_last_hour == 42
            assert plan.rate_limited_last_day == 1
            (minute,) = plan.windows
            assert minute.used == 42
            store.stop_writes()
        await store.aclose()

    anyio.run(main)
    offline = offline_report(config, now=clock.now)
    (erp,) = [s for s in offline.systems if s.system == "erp"]
    assert erp.calls_last_hour == 42 and erp.windows[0].used is None

    result = cli("budget", "--offline", "--json", "--config", str(path))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["format"], data["command"], data["source"]) == (1, "budget", "offline")
    (erp_json,) = [s for s in data["plan"]["systems"] if s["system"] == "erp"]
    assert erp_json["calls_last_hour"] == 42
    assert data["plan"]["fits"] is True

    checked = cli("check-config", str(path))
    assert checked.returncode == 0, checked.stderr
    assert "erp: 42 calls in the last hour" in checked.stdout
    assert "demo pull (recent): 2880/day" in checked.stdout
    assert "Schedules fit in the budgets." in checked.stdout


def test_check_config_warns_when_the_schedules_cannot_fit(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.replace('recent = "30s"', 'recent = "500ms"'))
    checked = cli("check-config", str(path))
    assert checked.returncode == 0, checked.stderr
    assert "WARNING erp: the recent schedules need 120 calls per minute" in checked.stdout
    text = cli("budget", "--config", str(path))
    assert text.returncode == 0 and "warning(s)" in text.stdout


@pytest.mark.slow
def test_a_sigkill_loses_none_of_the_burn_rate_the_servers_saw(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=40, variants=1)
    config = write_config(tmp_path, box, page_size=10)
    with sandbox_daemon(config).start() as proc:
        # Some calls made (products reached the shop), far less than a minute in.
        wait_until(lambda: server_calls(box) >= 10, timeout=60, interval=0.05)
        proc.stop(signal.SIGKILL)
    seen = server_calls(box)
    report = cli("budget", "--offline", "--json", "--config", str(config))
    assert report.returncode == 0, report.stderr
    spent = sum(s["calls_last_hour"] for s in json.loads(report.stdout)["plan"]["systems"])
    # Each call is counted before it is sent: at most the calls in flight (one per worker)
    # were counted and never arrived.
    assert seen <= spent <= seen + 4, (seen, spent)


def server_calls(box: Sandbox) -> int:
    total = 0
    for server in (box.erp, box.shop):
        stats = httpx.get(f"{server.url}/admin/stats", headers=HEADERS, timeout=10).json()
        total += int(stats["total_calls"])
    return total


@pytest.mark.slow
def test_the_daemon_warns_at_start_up_and_after_reload_when_schedules_do_not_fit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    unfit = CONFIG.replace('recent = "30s"', 'recent = "500ms"')
    unfit = unfit.replace(
        '[daemon]\nstate_file = "state.db"',
        '[daemon]\nstate_file = "state.db"\nlog_format = "json"',
    )
    path.write_text(unfit)
    with sandbox_daemon(path).start() as proc:
        proc.wait_for_event("daemon.ready", interval=0.1)
        first = proc.wait_for_event("budget.plan_unfit", interval=0.1)
        assert {w["when"] for w in first} == {"start-up"}
        assert any("recent schedules need 120 calls per minute" in str(w["problem"]) for w in first)
        # status says it plainly too (and the TUI, from the same snapshot).
        status = cli("status", "--config", str(path))
        assert status.returncode == 0, status.stderr
        assert "budget plan: the schedules do not fit: erp: the recent schedules need" in (
            status.stdout
        )
        # A fitting config: reloaded without a warning; then [metrics] changes need a restart.
        path.write_text(
            unfit.replace('recent = "500ms"', 'recent = "30s"')
            + '\n[metrics]\nlisten = "127.0.0.1:0"\n'
        )
        proc.send_signal(signal.SIGHUP)
        proc.wait_for_event("config.reloaded", interval=0.1)
        proc.wait_for_event("metrics.restart_needed", interval=0.1)
        wait_until(  # the plan is checked again right after the reload
            lambda: "budget plan" not in cli("status", "--config", str(path)).stdout,
            timeout=30,
            message="status still says the schedules do not fit",
        )
        path.write_text(unfit)
        proc.send_signal(signal.SIGHUP)
        proc.wait_for_event("config.reloaded", count=2, interval=0.1)
        warnings = proc.wait_for_event("budget.plan_unfit", count=len(first) + 1, interval=0.1)
        assert [w["when"] for w in warnings] == ["start-up"] * len(first) + ["reload"] * len(first)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


@pytest.mark.slow
def test_the_budget_table_the_plan_and_the_tui_give_one_runs_out_answer(
    daemon_factory: Any,
) -> None:
    from control_helpers import wire

    d = daemon_factory(products=3)
    # The ERP spent 5,000,000 calls in the one minute the history shows the daemon running:
    # at that pace its 10,000,000/day calendar window runs out within minutes.
    state(
        d.config,
        "INSERT INTO budget_history (system, minute, calls, rate_limited) VALUES (?, ?, ?, 0)"
        " ON CONFLICT (system, minute) DO UPDATE SET calls = excluded.calls",
        ("erp", int(time.time() // 60), 5_000_000.0),
    )
    result = wire(d.socket).call("budgets")["result"]
    (table,) = [
        w
        for b in result["budgets"]
        if b["system"] == "erp"
        for w in b["windows"]
        if w["name"] == "day"
    ]
    (planned,) = [
        w
        for s in result["plan"]["systems"]
        if s["system"] == "erp"
        for w in s["windows"]
        if w["name"] == "day"
    ]
    assert table["runs_out_at"] is not None
    assert table["runs_out_at"] == planned["runs_out_at"]  # the TUI shows the table's
    assert planned["exhausted_at"] == iso(table["runs_out_at"])
    # `syncwright budget`: its table and its plan section, from one reply, say the same.
    text = cli("budget", "--socket", str(d.socket))
    assert text.returncode == 0, text.stderr
    (row,) = [
        line for line in text.stdout.splitlines() if line.startswith("erp ") and "day (" in line
    ]
    _resets, runs_out = re.findall(r"\d{4}-\d\d-\d\dT[\d:]+Z", row)[:2]
    assert f"runs out: {runs_out}" in text.stdout
