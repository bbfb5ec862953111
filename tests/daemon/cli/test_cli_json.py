"""``--json`` on every command that prints data: one object of the documented, versioned shape
(format 1, the command's name), against a running daemon; and errors printed in full."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from harness import ROOT, state_db, syncwright, wait_until

pytestmark = pytest.mark.slow

LONG = (
    "customer 2 matches sandbox-shop customer sc_1 (ann@example.com), which is already linked "
    "to customer 1; two back-office customers share it. Give one of them another e-mail."
)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return syncwright(*args, timeout=90)


def as_json(*args: str, exit: int = 0) -> dict[str, Any]:
    result = cli(*args, "--json")
    assert result.returncode == exit, result.stdout + result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["format"] == 1 and data["command"] == args[0], data
    return data


def add_error(config: Path, item: str, message: str, at: float) -> None:
    conn = sqlite3.connect(state_db(config), timeout=30)
    with conn:
        conn.execute(
            "INSERT INTO sync_errors (connection, flow, external_id, message, first_seen,"
            " last_seen) VALUES ('demo', 'customers', ?, ?, ?, ?)",
            (item, message, at - 3600, at),
        )
    conn.close()


def test_every_data_command_prints_versioned_json(daemon_factory: Any) -> None:
    d = daemon_factory()
    sock = ["--socket", str(d.socket)]
    assert as_json("version")["version"]
    assert [c["name"] for c in as_json("status", *sock)["connections"]] == ["demo"]
    budget = as_json("budget", *sock)
    assert budget["source"] == "daemon" and budget["plan"]["systems"]
    checked = as_json("check-config", str(ROOT / "config.toml"))
    assert checked["ok"] is True and set(checked["connections"]) == {"demo"}
    assert "sandbox-demo-key" not in json.dumps(checked)
    invalid = as_json("check-config", str(d.config), exit=2)  # its credential is not set here
    assert invalid["ok"] is False and invalid["problems"][0]["path"].startswith("systems.")

    synced = as_json("sync", "demo", "products", "3", "--wait", "30", *sock)
    assert synced["state"] == "done" and synced["connection"] == "demo"
    assert as_json("smart-sync", "demo", *sock)["message"]

    add_error(d.config, "2", LONG, time.time())
    errors = as_json("errors", "demo", *sock)
    assert errors["total"] == 1 and errors["rows"][0]["message"] == LONG

    # A failure is JSON too: ok false, the exit status and the reason.
    refused = as_json("retry", "demo", "999999", *sock, exit=5)
    assert refused["ok"] is False and refused["exit"] == 5
    assert "no dead job 999999" in refused["error"]

    events = subprocess.Popen(
        [sys.executable, "-m", "syncwright", "events", "--json", *sock],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    lines: list[str] = []
    assert events.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(events.stdout or ()), daemon=True)
    reader.start()

    def an_event() -> bool:
        if not lines:  # until the subscription is up, each sync may go unseen: ask again
            cli("sync", "demo", "products", "4", "--wait", "0", *sock)
        return bool(lines)

    try:
        wait_until(an_event, timeout=60, message="no event printed")
        line = json.loads(lines[0])
        assert line["format"] == 1 and line["command"] == "events" and line["event"]
    finally:
        events.terminate()
        events.wait()
        reader.join(timeout=30)
        events.stdout.close()


def test_errors_are_printed_in_full_and_the_footer_says_what_it_counts(
    daemon_factory: Any,
) -> None:
    d = daemon_factory()
    sock = ["--socket", str(d.socket)]
    now = time.time()
    add_error(d.config, "2", LONG, now)
    add_error(d.config, "7", "short", now - 10)
    whole = cli("errors", "demo", *sock)
    assert whole.returncode == 0, whole.stderr
    assert LONG in whole.stdout  # not cut at 100 characters
    assert "first seen" in whole.stdout
    assert whole.stdout.rstrip().endswith("2 open errors, newest first")
    paged = cli("errors", "demo", "--limit", "1", *sock)
    assert "open errors 1 to 1 of 2, newest first; --offset 1 for the next" in paged.stdout
    assert "(from" not in paged.stdout
