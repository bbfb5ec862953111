"""Every fault switch of the emulator at once, during a full sync and while orders come back:
the daemon ends with the store matching the ERP (nothing lost), every order in the ERP once
(nothing twice), and no quota window of the store over its limit.

The store's window is shortened (10 calls per 2 s: the same 5 a second as 150 per 30 s) so a
429 storm costs seconds, not half-minutes; retries start after 1 s instead of 15.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bc_support import EmulatorProcess, bc_config, bc_daemon
from helpers import api, start_server, state
from test_daemon_bigcommerce import assert_store_matches_erp, catalogue

pytestmark = pytest.mark.slow

FAULTS = {
    "error_rate": 0.08,
    "drop_rate": 0.05,
    "drop_after_write_rate": 0.05,
    "malformed_rate": 0.04,
    "truncated_rate": 0.04,
    "storm_429_rate": 0.02,
    "overload_429_rate": 0.03,
}
RETRY = """
[daemon.retry]
base = "1s"
cap = { sale = "2s", manual = "2s", recent = "2s", ghost = "2s", full = "2s" }
"""


def converge(config: Path, check: Any, rounds: int = 12) -> None:
    """Run the daemon until idle, again and again, until ``check`` passes."""
    last: Exception | None = None
    for _ in range(rounds):
        bc_daemon(config).run_ok(timeout=240)
        try:
            check()
            return
        except (AssertionError, KeyError) as exc:
            last = exc
    raise AssertionError(f"not converged after {rounds} runs: {last}")


@pytest.mark.timeout(900)
def test_every_fault_loses_nothing_and_posts_nothing_twice(tmp_path: Path) -> None:
    erp = start_server(
        "erp",
        tmp_path / "erp.db",
        "--products",
        "15",
        "--variants-per-product",
        "3",
        "--customers",
        "0",
    )
    emu = EmulatorProcess(tmp_path, "--quota", "10", "--window-ms", "2000")
    try:
        emu.call("POST", "/_emulator/locations", {"label": "North store"})
        config = bc_config(tmp_path, erp.url, emu.base, extra_head=RETRY)
        emu.call("POST", "/_emulator/faults", FAULTS)
        converge(config, lambda: assert_store_matches_erp(erp.url, emu))
        held = catalogue(emu)
        assert len(held) == 15  # no product created twice

        sku = next(iter(held.values()))["variants"][0]["sku"]
        orders = [
            emu.call(
                "POST",
                "/_emulator/orders",
                {"lines": [{"sku": sku, "quantity": 1}], "email": f"f{n}@example.com"},
            )["id"]
            for n in range(5)
        ]

        def all_posted() -> None:
            for oid in orders:
                api(erp.url, "GET", f"/api/orders/by-ref/bc:{oid}")

        converge(config, all_posted)
        emu.call("POST", "/_emulator/faults", {k: 0 for k in FAULTS})
        bc_daemon(config).run_ok(timeout=240)
        listed = api(erp.url, "GET", "/api/orders", limit=100)["items"]
        refs = [o.get("channel_ref") or o.get("external_id") for o in listed]
        assert sorted(refs) == sorted(f"bc:{oid}" for oid in orders), refs
        stats = emu.call("GET", "/_emulator/stats")
        assert stats["peak_window"] <= 10, stats
        assert state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)]
    finally:
        emu.stop()
        erp.stop()
