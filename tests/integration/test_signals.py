"""SIGHUP reloads the config without a restart; a bad file is rejected and the old one stays."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from helpers import sandbox_daemon, write_config

pytestmark = pytest.mark.slow


def test_sighup_adds_a_connection_and_rejects_a_broken_file(
    sandbox_factory, tmp_path: Path
) -> None:
    box = sandbox_factory(products=20, variants=1)
    config = write_config(tmp_path, box)
    with sandbox_daemon(config).start() as proc:
        proc.wait_for_event("daemon.ready")
        good = config.read_text() + (
            '\n[connections.second]\nsource = "erp"\nchannel = "shop"\nflows = ["stock"]\n'
        )
        config.write_text(good)
        proc.send_signal(signal.SIGHUP)
        reloaded = proc.wait_for_event("config.reloaded")[0]
        assert reloaded["added"] == ["second"]
        assert reloaded["removed"] == [] and reloaded["restarted"] == []

        config.write_text(good.replace("page_size = 50", 'page_size = "lots"'))
        proc.send_signal(signal.SIGHUP)
        rejected = proc.wait_for_event("config.reload_rejected")[0]
        assert "connections.demo.page_size" in str(rejected["error"])
        # The daemon lives on: the next reload (the good file again) is applied.
        config.write_text(good)
        proc.send_signal(signal.SIGHUP)
        proc.wait_for_event("config.reloaded", count=2)
        assert proc.running(), "a rejected reload must not stop the daemon"

        assert proc.stop(timeout=20) == 0
