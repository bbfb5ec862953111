"""Xero refuses a sixth call in flight for a tenant (429, problem "concurrent"): the connector
keeps at most five in flight, so a burst of look-ups waits locally instead of being refused."""

from __future__ import annotations

from pathlib import Path

import anyio
from xero_support import items, running


def test_a_burst_of_calls_keeps_at_most_five_in_flight(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            await xero.control("items", items(12))
            books = xero.connector()
            await books.get_settings()  # the token is fetched before the burst
            # Each look-up is held a second at Xero, so the burst overlaps whatever the load.
            await xero.control("faults", {"hang_next": 12, "only": "GET /Items", "hang_seconds": 1})
            found: dict[str, bool] = {}

            async def look(sku: str) -> None:
                found[sku] = await books.get_product(sku) is not None

            async with anyio.create_task_group() as group:
                for n in range(12):
                    group.start_soon(look, f"SKU-{n:05d}")
            await books.aclose()
            assert found == {f"SKU-{n:05d}": True for n in range(12)}
            assert xero.emulator.limits.refused == 0
            assert 1 <= xero.emulator.limits.busiest_concurrent <= 5

    anyio.run(main)
