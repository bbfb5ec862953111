"""Through the daemon (a process), with every fault switch of the X-Series emulator on at once
(5xx, dropped connections, malformed and truncated bodies, a 429 storm with HTTP-date
Retry-After, a sale create whose answer is lost): the catalogue and stock converge, each
order becomes exactly one sale, and the store's 5-minute window never refuses a call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from helpers import api, start_server
from test_lsx_daemon import XSeries, _compare, daemon, lsx_config, place

pytestmark = pytest.mark.slow

FAULTS = {
    "error_rate": 0.12,
    "drop_rate": 0.08,
    "malformed_rate": 0.08,
    "truncated_rate": 0.08,
    "throttle_429_rate": 0.08,
    "throttle_retry_seconds": 1,
    "lose_sale_answers": 1,
}
FAST_RETRIES = """
[daemon.retry]
base = "1s"
cap = { sale = "2s", manual = "2s", recent = "2s", ghost = "2s", full = "2s" }
"""


@pytest.mark.timeout(600)
def test_faults_through_the_daemon_lose_nothing_and_post_once(tmp_path: Path) -> None:
    pos = XSeries(tmp_path, "--products", "30", "--variants", "2", "--outlets", "2")
    shop = start_server("shop", tmp_path / "shop.db")
    try:
        config = lsx_config(tmp_path, pos.url, shop.url)
        config.write_text(config.read_text() + FAST_RETRIES)
        orders = [place(shop, f"LX-0000{n}-1", f"buyer{n}@example.com") for n in range(3)]
        faults = FAULTS
        for _ in range(4):  # until idle; a job may still wait on its backoff at the end
            pos.call("POST", "/_emulator/faults", faults)
            daemon(config).run_ok(timeout=300)
            faults = {k: v for k, v in FAULTS.items() if k != "lose_sale_answers"}
            # the test reads both sides without faults
            pos.call("POST", "/_emulator/faults", dict.fromkeys(faults, 0))
            want, held = anyio.run(_compare, pos.url, shop.url)
            sales: list[dict[str, Any]] = pos.call("GET", "/_emulator/sales")["sales"]
            if held == want and len(sales) >= len(orders):
                break
        assert held == want and len(want) == 30
        levels = api(shop, "GET", "/api/inventory", skus="LX-00020-0")["items"]
        assert sorted((x["location"], x["quantity"]) for x in levels) == [
            ("central", 5),
            ("north", 5),
        ]
        refs = sorted(s["invoice_number"] for s in sales)
        assert refs == sorted(f"shop:{o}" for o in orders)
        stats = pos.call("GET", "/_emulator/stats")
        assert stats["refused"] == 0
        assert sum(stats["calls"].values()) > 20  # the faults were met, not skipped
    finally:
        shop.stop()
        pos.stop()
