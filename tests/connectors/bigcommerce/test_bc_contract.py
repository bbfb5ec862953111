"""The channel contract suite (connectors/testing.py) against the BigCommerce emulator: a
catalogue and an order book one larger than BigCommerce's largest page (250)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from bc_support import connector, run, running

from syncwright.connectors.testing import ChannelFixture, check_channel


@pytest.mark.timeout(300)
def test_bigcommerce_channel_keeps_the_contract() -> None:
    async def main() -> None:
        async with running() as emu:
            bc = connector(emu)

            async def place(skus: Sequence[str], count: int, email: str) -> None:
                for n in range(count):
                    emu.store.place_order([{"sku": skus[n % len(skus)], "quantity": 1}], email)

            try:
                await check_channel(bc, ChannelFixture(location="WH", place_orders=place))
            finally:
                await bc.aclose()
            assert emu.rejected == 0

    run(main)
