"""SIGHUP reloads the config without a restart; a bad file is rejected and the old one stays."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from helpers import daemon_log, start_daemon, write_config

pytestmark = pytest.mark.slow


def wait_for_event(config: Path, event: str, timeout: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in daemon_log(config).read_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("event") == event:
                    return record  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"no {event} in the log:\n{daemon_log(config).read_text()[-3000:]}")


def test_sighup_adds_a_connection_and_rejects_a_broken_file(
    sandbox_factory, tmp_path: Path
) -> None:
    box = sandbox_factory(products=20, variants=1)
    config = write_config(tmp_path, box)
    proc = start_daemon(config)
    try:
        wait_for_event(config, "daemon.ready")
        good = config.read_text() + (
            '\n[connections.second]\nsource = "erp"\nchannel = "shop"\nflows = ["stock"]\n'
        )
        config.write_text(good)
        proc.send_signal(signal.SIGHUP)
        reloaded = wait_for_event(config, "config.reloaded")
        assert reloaded["added"] == ["second"]
        assert reloaded["removed"] == [] and reloaded["restarted"] == []

        config.write_text(good.replace("page_size = 50", 'page_size = "lots"'))
        proc.send_signal(signal.SIGHUP)
        rejected = wait_for_event(config, "config.reload_rejected")
        assert "connections.demo.page_size" in str(rejected["error"])
        time.sleep(0.3)
        assert proc.poll() is None, "a rejected reload must not stop the daemon"

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
