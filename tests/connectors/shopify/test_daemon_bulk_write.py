"""End to end: a daemon killed while its bulk product write runs collects it on restart."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from harness import wait_until
from helpers import start_server
from shopify_support import EmulatorProcess, shopify_config, shopify_daemon

pytestmark = pytest.mark.slow


@pytest.fixture
def systems(tmp_path: Path) -> Any:
    erp = start_server(
        "erp", tmp_path / "erp.db", "--products", "30", "--variants-per-product", "1",
        "--customers", "0",
    )  # fmt: skip
    emu = EmulatorProcess(tmp_path)
    emu.call("POST", "/_emulator/locations", {"name": "North store"})
    yield erp, emu
    emu.stop()
    erp.stop()


def test_killed_daemon_collects_its_bulk_write_instead_of_starting_another(
    systems: Any, tmp_path: Path
) -> None:
    erp, emu = systems
    config = shopify_config(tmp_path, erp.url, emu.url)
    text = config.read_text().replace(
        'api_version = "2026-01"', 'api_version = "2026-01"\nbulk_write_min = 10'
    )
    config.write_text(text.replace('"products", "stock", "prices", "orders"', '"products"'))
    emu.call("POST", "/_emulator/faults", {"bulk_hold_seconds": 120})
    with shopify_daemon(config).start() as daemon:
        wait_until(lambda: emu.call("GET", "/_emulator/stats")["bulk_operations"], timeout=120)
        daemon.stop(signal.SIGKILL)
    assert emu.call("GET", "/_emulator/stats")["bulk_operations"] == {"1": "MUTATION RUNNING"}
    emu.call("POST", "/_emulator/faults", {"bulk_hold_seconds": 0})
    log = shopify_daemon(config).run_ok(timeout=240)
    (tmp_path / "restart.log").write_text(log)
    stats = emu.call("GET", "/_emulator/stats")
    assert stats["bulk_operations"] == {"1": "MUTATION COMPLETED"}, stats["by_operation"]
    assert stats["bulk_lines"] == 30
    assert "productSet" not in stats["by_operation"]  # nothing written again per call
    held = emu.call("GET", "/_emulator/products")["products"]
    assert len(held) == 30
    # Everything was recorded: another run writes nothing.
    shopify_daemon(config).run_ok(timeout=240)
    again = emu.call("GET", "/_emulator/stats")
    assert again["bulk_operations"] == {"1": "MUTATION COMPLETED"}
    assert "productSet" not in again["by_operation"]
