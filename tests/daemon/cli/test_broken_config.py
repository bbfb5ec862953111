"""The CLI reaches a running daemon while its config file is broken (mid-edit), and ``status``
says the last reload was rejected, when and why."""

from __future__ import annotations

import json
import signal
from typing import Any

import pytest
from harness import syncwright

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param("\n[daemon.retry]\nfrobnicate = 1\n", id="invalid-key"),
        pytest.param("\n[[[ half-typed table\n", id="toml-syntax"),
    ],
)
def test_status_reaches_the_daemon_and_shows_the_rejected_reload(
    daemon_factory: Any, breakage: str
) -> None:
    d = daemon_factory()
    good = d.config.read_text()
    d.config.write_text(good + breakage)
    d.send_signal(signal.SIGHUP)
    d.wait_for_event("config.reload_rejected")

    status = syncwright("status", "--config", str(d.config))
    assert status.returncode == 0, status.stderr
    assert "the config file is invalid" in status.stderr
    assert "config reload rejected at " in status.stdout
    assert "demo" in status.stdout
    snap = json.loads(syncwright("status", "--json", "--config", str(d.config)).stdout)
    assert snap["reload_rejected_at"] is not None and snap["reload_rejected"]

    # Fixed and reloaded: the rejection is no longer shown.
    d.config.write_text(good)
    d.send_signal(signal.SIGHUP)
    d.wait_for_event("config.reloaded")
    fixed = syncwright("status", "--config", str(d.config))
    assert fixed.returncode == 0 and fixed.stderr == "", fixed.stderr
    assert "config reload rejected" not in fixed.stdout
