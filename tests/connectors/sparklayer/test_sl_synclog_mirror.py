"""End to end: our sync log mirrored to SparkLayer's sync-log API by a running daemon.

The emulator's sync-log state must equal ours (the state file's ``sync_errors``, full runs and
sync times) after a full sync with errors, after partial syncs fixed some, and after a full
sync killed with SIGKILL and resumed: ``last_full_sync`` reaches SparkLayer only at the end.
Errors come from SparkLayer itself: stock for a location it does not have (until it is added),
customers sharing an e-mail or in a group it does not know.
"""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from control_helpers import control_section as control
from harness import syncwright, wait_until
from helpers import api, start_server, state
from sparklayer_support import EmulatorProcess, sparklayer_config, sparklayer_daemon

from syncwright.daemon.synclog_mirror import PARTIAL_EVERY

pytestmark = pytest.mark.slow

FLOWS = '"products", "stock", "prices", "customers"'
DATA_TYPES = {
    "products": "products",
    "stock": "stock",
    "prices": "pricing",
    "customers": "customers",
}


@pytest.fixture
def systems(tmp_path: Path) -> Any:
    options = ["--products", "8", "--variants-per-product", "2", "--customers", "6"]
    erp = start_server("erp", tmp_path / "erp.db", *options)
    # No "north" location: every north stock level is refused (a sync-log error) until added.
    portal = EmulatorProcess(tmp_path, "--locations", "main", "--rate-limit", "100000")
    yield erp, portal
    portal.stop()
    erp.stop()


def _stamp(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat()


def ours(config: Path) -> dict[str, Any]:
    """Our sync log as SparkLayer should show it, by data type: a flow's last full sync is
    the end of the latest full run covering it (none while one runs, or if none ever did)."""
    times = state(config, "SELECT last_partial_sync FROM connection_state")
    partial = times[0][0] if times else None
    out: dict[str, Any] = {}
    for flow, data_type in DATA_TYPES.items():
        run = state(
            config,
            "SELECT state, finished_at FROM full_runs WHERE EXISTS"
            " (SELECT 1 FROM json_each(full_runs.flows) WHERE value = ?)"
            " ORDER BY run_id DESC LIMIT 1",
            (flow,),
        )
        full = run[0][1] if run and run[0][0] == "done" else None
        rows = state(config, "SELECT external_id, message FROM sync_errors WHERE flow = ?", (flow,))
        out[data_type] = {
            "last_full_sync": _stamp(full),
            "last_partial_sync": _stamp(partial),
            "errors": dict(rows),
        }
    return out


def theirs(portal: EmulatorProcess) -> dict[str, Any]:
    return {
        log["data_type"]: {
            "last_full_sync": log["last_full_sync"],
            "last_partial_sync": log["last_partial_sync"],
            "started_full_sync": log["started_full_sync"],
            "errors": {e["external_id"]: e["message"] for e in log["errors"]},
        }
        for log in portal.state()["sync_logs"]
        if log["integration"] == "syncwright"
    }


def mirrored(config: Path, portal: EmulatorProcess) -> dict[str, Any] | None:
    """Our log once SparkLayer's equals it and no full sync runs; None before. SparkLayer's
    last partial sync may lag ours by up to ``PARTIAL_EVERY`` (a PATCH that would only move it
    waits), never more, and never runs ahead."""
    if state(config, "SELECT count(*) FROM full_runs WHERE state = 'running'") != [(0,)]:
        return None
    mine = ours(config)
    held = theirs(portal)
    if set(held) != set(mine):
        return None
    for data_type, log in held.items():
        want = mine[data_type]
        if {n: v for n, v in log.items() if n not in SLACK} != {
            n: v for n, v in want.items() if n not in SLACK
        }:
            return None
        if not _partial_close(log["last_partial_sync"], want["last_partial_sync"]):
            return None
    return mine


#: Fields compared apart: when the full sync started (not ours to show) and the partial time.
SLACK = ("started_full_sync", "last_partial_sync")


def _partial_close(theirs_at: str | None, ours_at: str | None) -> bool:
    if theirs_at is None or ours_at is None:
        return theirs_at == ours_at
    lag = datetime.fromisoformat(ours_at) - datetime.fromisoformat(theirs_at)
    return 0 <= lag.total_seconds() <= PARTIAL_EVERY


def settle(
    config: Path, portal: EmulatorProcess, ready: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Wait until SparkLayer's log equals ours, no full sync runs, and ``ready`` holds."""

    def check() -> dict[str, Any] | None:
        mine = mirrored(config, portal)
        return mine if mine is not None and ready(mine) else None

    return wait_until(
        check,
        timeout=150,
        ignoring=(sqlite3.OperationalError,),
        message=lambda: f"ours {ours(config)}\ntheirs {theirs(portal)}",
    )


def first_pass_done(mine: dict[str, Any]) -> bool:
    # 8 products x 2 variants at "north", and the customers SparkLayer refuses.
    return len(mine["stock"]["errors"]) == 16 and bool(mine["customers"]["errors"])


def runs_done(config: Path) -> int:
    return int(state(config, "SELECT count(*) FROM full_runs WHERE state = 'done'")[0][0])


def resync(sock: Path) -> None:
    done = syncwright("resync", "demo", "--socket", str(sock))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.timeout(600)
def test_full_sync_errors_and_partial_fixes_are_mirrored(
    systems: Any, tmp_path: Path, sock_dir: Path
) -> None:
    erp, portal = systems
    sock = sock_dir / "control.sock"
    config = sparklayer_config(tmp_path, erp.url, portal.url, flows=FLOWS, extra=control(sock))
    daemon = sparklayer_daemon(config)
    with daemon.start():
        settle(config, portal, first_pass_done)
        # A full sync that finds the errors again: started with a PUT (clearing them on
        # SparkLayer too), errors added as found, last_full_sync once it is done.
        before = runs_done(config)
        resync(sock)
        mine = settle(config, portal, lambda m: runs_done(config) > before and first_pass_done(m))
        assert mine["stock"]["last_full_sync"] is not None
        assert mine["customers"]["last_full_sync"] is None  # no full sync lists customers

        # SparkLayer gets the location; two north levels change in the ERP: the partial sync
        # writes them, resolves their errors here, and SparkLayer's log follows.
        portal.call("POST", "/_emulator/locations", {"name": "north"})
        fixed = sorted(mine["stock"]["errors"])[:2]
        for level in fixed:
            sku = level.split("|")[0]
            api(erp.url, "PUT", "/admin/stock", {"sku": sku, "location": "north", "quantity": 7})
        after = settle(
            config, portal, lambda m: not any(level in m["stock"]["errors"] for level in fixed)
        )
        # (the daemon may resend the other refused levels too: fewer errors, never more)
        assert set(after["stock"]["errors"]) < set(mine["stock"]["errors"])
        assert after["stock"]["last_partial_sync"] is not None
        assert after["stock"]["last_full_sync"] == mine["stock"]["last_full_sync"]
        assert after["customers"]["errors"] == mine["customers"]["errors"]

    # `syncwright forget` deletes the site's sync logs on SparkLayer, then our state.
    forget = syncwright("forget", "demo", "--force", "--config", str(config), env=daemon.environ())
    assert forget.returncode == 0, forget.stdout + forget.stderr
    assert portal.state()["sync_logs"] == []
    assert state(config, "SELECT count(*) FROM synclog_mirror") == [(0,)]
    assert state(config, "SELECT count(*) FROM sync_errors") == [(0,)]


@pytest.mark.timeout(600)
def test_full_sync_killed_and_resumed_sends_last_full_sync_only_at_the_end(
    systems: Any, tmp_path: Path, sock_dir: Path
) -> None:
    erp, portal = systems
    sock = sock_dir / "control.sock"
    config = sparklayer_config(tmp_path, erp.url, portal.url, flows=FLOWS, extra=control(sock))
    daemon = sparklayer_daemon(config).start()
    try:
        settle(config, portal, first_pass_done)
        done_before = runs_done(config)
        portal.call("POST", "/_emulator/faults", {"slow_seconds": 3.0})
        resync(sock)

        def start_mirrored() -> str | None:
            run = state(config, "SELECT started_at FROM full_runs WHERE state = 'running'")
            products = theirs(portal).get("products", {})
            started = _stamp(run[0][0]) if run else None
            return started if started and products.get("started_full_sync") == started else None

        started = wait_until(start_mirrored, timeout=120, message=lambda: str(theirs(portal)))
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=30)
        logs = theirs(portal)
        assert logs["products"]["last_full_sync"] is None, logs
        for log in logs.values():  # every log told of this run's start has no end yet
            if log["started_full_sync"] == started:
                assert log["last_full_sync"] is None, logs
        assert state(config, "SELECT count(*) FROM full_runs WHERE state = 'running'") == [(1,)]

        portal.call("POST", "/_emulator/faults", {"slow_seconds": 0.0})
        daemon.restart()
        mine = settle(
            config, portal, lambda m: runs_done(config) > done_before and first_pass_done(m)
        )
        assert mine["stock"]["last_full_sync"] is not None
        assert mine["products"]["last_full_sync"] is not None
    finally:
        if daemon.running():
            daemon.stop()
