"""The CLI over the control socket, against a running daemon and the sandbox systems."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from harness import ROOT, state_db, syncwright, wait_until
from helpers import state

pytestmark = pytest.mark.slow


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return syncwright(*args, timeout=90)


def test_the_cli_drives_a_running_daemon(daemon_factory: Any) -> None:
    d = daemon_factory()
    sock = ["--socket", str(d.socket)]
    status = cli("status", "--json", *sock)
    assert status.returncode == 0, status.stderr
    snap = json.loads(status.stdout)
    assert [c["name"] for c in snap["connections"]] == ["demo"]
    assert {b["system"] for b in snap["budgets"]} == {"erp", "shop"}

    table = cli("status", "--config", str(d.config))
    assert table.returncode == 0, table.stderr
    assert "demo" in table.stdout and "GHOST ROTATION" in table.stdout

    paused = cli("pause", "demo", *sock)
    assert paused.returncode == 0, paused.stderr
    assert state(d.config, "SELECT paused FROM connection_state WHERE connection='demo'") == [(1,)]
    resumed = cli("resume", "demo", *sock)
    assert resumed.returncode == 0, resumed.stderr
    assert state(d.config, "SELECT paused FROM connection_state WHERE connection='demo'") == [(0,)]

    synced = cli("sync", "demo", "products", "3", "--wait", "30", *sock)
    assert synced.returncode == 0, synced.stderr + synced.stdout
    assert "synced" in synced.stdout
    rows = state(d.config, "SELECT state FROM jobs WHERE kind = 'sync_item'")
    assert rows == [("done",)]

    resync = cli("resync", "demo", "stock", *sock)
    assert resync.returncode == 0, resync.stderr
    assert "full resync" in resync.stdout
    assert state(d.config, "SELECT count(*) FROM full_runs WHERE reason = 'operator'") == [(1,)]

    smart = cli("smart-sync", "demo", *sock)
    assert smart.returncode == 0, smart.stderr

    budget = cli("budget", *sock)
    assert budget.returncode == 0 and "minute (rolling)" in budget.stdout, budget.stderr
    # The live plan comes from the daemon: its spend so far and the schedules' cost per day.
    assert "Budget plan at" in budget.stdout and "pull (recent)" in budget.stdout
    live = json.loads(cli("budget", "--json", *sock).stdout)
    systems = {s["system"]: s for s in live["plan"]["systems"]}
    assert set(systems) == {b["system"] for b in live["budgets"]}
    assert all(s["scheduled_per_day"] > 0 for s in systems.values())

    errors = cli("errors", "demo", *sock)
    assert errors.returncode == 0 and "open errors" in errors.stdout, errors.stderr

    unknown = cli("pause", "nope", *sock)
    assert unknown.returncode == 5
    assert "no connection named 'nope'" in unknown.stderr


def test_retry_puts_a_dead_job_back(daemon_factory: Any) -> None:
    d = daemon_factory()
    sock = ["--socket", str(d.socket)]
    # A job that died earlier (say, while the item was broken at the source), as the queue
    # leaves it.
    conn = sqlite3.connect(state_db(d.config), timeout=30)
    with conn:
        job = conn.execute(
            "INSERT INTO jobs (connection, kind, class, state, payload, run_at, enqueued_at,"
            " attempts, last_error, errors, finished_at) VALUES ('demo', 'sync_item', 1, 'dead',"
            " ?, 0, 0, 1, 'broken then', '[]', 1)",
            (json.dumps({"flow": "products", "id_or_sku": "3", "stock": True}),),
        ).lastrowid
    conn.close()
    retried = cli("retry", "demo", str(job), *sock)
    assert retried.returncode == 0, retried.stderr
    assert "1 dead job" in retried.stdout
    # It ran again and, the item fine now, is done.
    wait_until(
        lambda: state(d.config, "SELECT 1 FROM jobs WHERE id = ? AND state = 'done'", (job,)),
        timeout=60,
        message="condition not met in time",
    )
    missing = cli("retry", "demo", "999999", *sock)
    assert missing.returncode == 5 and "no dead job 999999" in missing.stderr
    usage = cli("retry", "demo", *sock)
    assert usage.returncode == 2


def test_a_typo_is_not_found_at_once_and_leaves_nothing_dead(daemon_factory: Any) -> None:
    d = daemon_factory()
    sock = ["--socket", str(d.socket)]
    for flow, item in (("products", "424242"), ("stock", "NO-SUCH-SKU")):
        typo = cli("sync", "demo", flow, item, "--wait", "30", *sock)
        assert typo.returncode == 5, typo.stdout + typo.stderr
        assert "not found at the source" in typo.stdout and item in typo.stdout
    assert state(d.config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)]
    assert state(d.config, "SELECT count(*) FROM sync_errors") == [(0,)]


def test_work_asked_of_a_paused_connection_is_refused_and_says_why(daemon_factory: Any) -> None:
    d = daemon_factory()
    sock = ["--socket", str(d.socket)]
    assert cli("pause", "demo", *sock).returncode == 0
    for args in (
        ("sync", "demo", "products", "3", "--wait", "0"),
        ("smart-sync", "demo"),
        ("resync", "demo"),
    ):
        refused = cli(*args, *sock)
        assert refused.returncode == 6, refused.stdout + refused.stderr
        assert "is paused" in refused.stderr and "syncwright resume demo" in refused.stderr
    assert state(d.config, "SELECT count(*) FROM jobs WHERE kind = 'sync_item'") == [(0,)]
    assert state(d.config, "SELECT count(*) FROM full_runs WHERE reason = 'operator'") == [(0,)]
    assert cli("resume", "demo", *sock).returncode == 0
    assert cli("sync", "demo", "products", "3", "--wait", "30", *sock).returncode == 0


def test_a_clear_message_when_the_daemon_is_not_running(tmp_path: Path) -> None:
    result = cli("status", "--socket", str(tmp_path / "nothing.sock"))
    assert result.returncode == 4
    assert "the daemon is not running" in result.stderr
    assert "Traceback" not in result.stderr


def test_forget_over_the_socket_refuses_a_configured_connection(daemon_factory: Any) -> None:
    d = daemon_factory()
    result = cli("forget", "demo", "--daemon", "--socket", str(d.socket))
    assert result.returncode == 5
    assert "still in the running config" in result.stderr
    gone = cli("forget", "old", "--daemon", "--socket", str(d.socket))
    assert gone.returncode == 0, gone.stderr
    assert "forgot 'old'" in gone.stdout


def test_the_socket_is_removed_on_shutdown(daemon_factory: Any) -> None:
    d = daemon_factory()
    assert d.socket.exists()
    assert d.stop() == 0
    assert not d.socket.exists()


def test_the_tui_entry_point_starts(tmp_path: Path) -> None:
    # `syncwright tui` replaces itself with `python -m syncwright.tui --socket PATH`.
    result = subprocess.run(
        [sys.executable, "-m", "syncwright.tui", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0 and "--socket" in result.stdout, result.stderr


def test_the_cli_finds_the_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from syncwright.daemon.cli import connect

    monkeypatch.delenv("RUNTIME_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg"))
    systemd = tmp_path / "run" / "control.sock"
    monkeypatch.setattr(connect, "SYSTEMD_SOCKET", systemd)
    bare = tmp_path / "bare.toml"
    bare.write_text("")
    pinned = tmp_path / "pinned.toml"
    pinned.write_text('[control]\npath = "ctl/my.sock"\n')

    def find(config: Path, sock: str | None = None) -> Path:
        return connect.socket_path(argparse.Namespace(config=config, socket=sock))

    default = tmp_path / "xdg" / "syncwright" / "control.sock"
    assert find(bare) == default
    assert find(tmp_path / "missing.toml") == default
    assert find(pinned) == tmp_path / "ctl" / "my.sock"
    assert find(bare, "/x/y.sock") == Path("/x/y.sock")
    systemd.parent.mkdir()
    systemd.touch()  # a daemon under systemd: its socket is in /run/syncwright
    assert find(bare) == systemd
    assert find(pinned) == tmp_path / "ctl" / "my.sock"  # an explicit path always wins
    default.parent.mkdir(parents=True)
    default.touch()
    assert find(bare) == default
