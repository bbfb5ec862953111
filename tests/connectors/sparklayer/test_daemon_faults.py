"""Faults end to end: every fault switch of the SparkLayer emulator on during a full sync and
purchase writes; the daemon still ends with everything there once, and its budget keeps the
emulator's rate-limit window unbroken."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from harness import wait_until
from helpers import api, state
from sparklayer_support import sparklayer_config, sparklayer_daemon
from test_daemon_sparklayer import assert_portal_matches_erp, erp_all, systems

pytestmark = pytest.mark.slow
__all__ = ["systems"]

FLOWS = '"products", "stock", "prices", "customers", "settings", "purchases"'


def place_orders(erp_url: str, count: int) -> list[dict[str, Any]]:
    sku = erp_all(erp_url, "/api/products")[0]["variants"][0]["sku"]
    return [
        api(
            erp_url,
            "POST",
            "/api/orders",
            {
                "channel_ref": f"fax:{n}",
                "customer_id": 3,
                "lines": [{"sku": sku, "quantity": 1, "unit_price": "4.00", "title": "Item"}],
                "currency": "EUR",
                "total": "4.00",
                "b2b": True,
            },
        )
        for n in range(count)
    ]


#: Each switch fires on the next calls it applies to (a lost answer and a 409 on writes, the
#: others on any call), then a low rate of each stays on for the whole run.
BURST = {
    "error_next": 1,
    "drop_next": 1,
    "malformed_next": 1,
    "truncated_next": 1,
    "throttle_next": 2,
    "conflict_next": 1,
    "lose_answer_next": 2,
    "retry_after": 1,
}
#: Retries a second apart, doubling to 8 s at most: the faults are many, the test short.
QUICK_RETRY = """
        [daemon.retry]
        base = "1s"
        cap = { sale = "8s", manual = "8s", recent = "8s", ghost = "8s", full = "8s" }
"""
RATES = {
    "error_rate": 0.002,
    "drop_rate": 0.002,
    "conflict_rate": 0.002,
    "lose_answer_rate": 0.002,
    "throttle_429_rate": 0.002,
}


@pytest.mark.timeout(900)
def test_every_fault_switch_loses_nothing_and_duplicates_nothing(
    systems: Any, tmp_path: Path
) -> None:
    erp, portal = systems
    config = sparklayer_config(tmp_path, erp.url, portal.url, flows=FLOWS, extra=QUICK_RETRY)
    daemon = sparklayer_daemon(config)
    # A full sync with every switch firing at its start (the first creates' answers lost).
    portal.call("POST", "/_emulator/faults", {**BURST, **RATES})
    daemon.run_ok(timeout=400)
    held = assert_portal_matches_erp(erp.url, portal)
    assert Counter(p["external_id"] for p in held["products"]).most_common(1)[0][1] == 1
    # Then orders, with the switches firing on their purchase writes.
    placed = place_orders(erp.url, 5)
    portal.call("POST", "/_emulator/faults", BURST)
    daemon.run_ok(timeout=400)
    held = portal.state()
    assert sorted(p["platform_id"] for p in held["purchases"]) == sorted(
        str(o["id"]) for o in placed
    )
    assert state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)]
    left = portal.call("GET", "/_emulator/stats")
    assert left["throttled"] >= 4, "the 429 switch never fired: the test tests nothing"


@pytest.mark.timeout(600)
def test_the_budget_keeps_the_rate_limit_window(tmp_path: Path) -> None:
    from helpers import start_server
    from sparklayer_support import EmulatorProcess

    erp = start_server("erp", tmp_path / "erp.db", "--products", "20", "--customers", "4")
    portal = EmulatorProcess(tmp_path, "--locations", "main,north", "--rate-limit", "20")
    try:
        config = sparklayer_config(tmp_path, erp.url, portal.url, minute_limit=20)
        # Burst mode stops when what is left waits for a later budget window: run it as a
        # service instead, until SparkLayer holds the whole catalogue.
        with sparklayer_daemon(config).start() as running:
            wait_until(
                lambda: assert_portal_matches_erp(erp.url, portal),
                timeout=480,
                interval=2,
                ignoring=(AssertionError, KeyError),
            )
            running.stop()
        stats = portal.call("GET", "/_emulator/stats")
        assert stats["calls"] > 20, "the sync fitted one window: the test tests nothing"
        assert stats["throttled"] == 0, stats
    finally:
        portal.stop()
        erp.stop()
