"""The planner's spend history in a real state file, and the planner on the command line."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import anyio
import pytest
from harness import syncwright, wait_until
from helpers import daemon_env, sandbox_daemon

from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.windows import WindowSpec
from syncwright.daemon.clock import FakeClock
from syncwright.daemon.config.load import load_config
from syncwright.daemon.ops.planner_history import HistoryRecorder, live_report, offline_report
from syncwright.daemon.store.db import Store

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
            for _ in range(41):
                assert erp.try_spend(2, 1.0)  # class 2 (recent), one call
            erp.observe(429, {})
            assert await recorder.record() == 1
            clock.advance(60)
            assert erp.try_spend(2, 1.0)
            assert await recorder.record() == 1
            assert await recorder.record() == 0, "nothing new spent: no row"
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
