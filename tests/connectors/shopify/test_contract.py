"""The connector contract suite (connectors/testing.py) against the emulator, per API version."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from shopify_support import channel, run, running

from syncwright.connectors.shopify.emulator.bucket import Bucket
from syncwright.connectors.shopify.versions import SUPPORTED
from syncwright.connectors.testing import ChannelFixture, check_channel


@pytest.mark.timeout(300)
@pytest.mark.parametrize("version", SUPPORTED)
def test_shopify_channel_keeps_the_contract(version: str) -> None:
    async def main() -> None:
        # A Plus store's bucket (20,000 points, 1,000 a second): the suite writes a catalogue
        # and an order book larger than a page, and pacing at a standard store's 100 points a
        # second would be most of its time.
        async with running(bucket=Bucket(size=20_000.0, restore_rate=1_000.0)) as emu:
            shop = channel(emu, version)

            async def place(skus: Sequence[str], count: int, email: str) -> None:
                for n in range(count):
                    emu.shop.place_order([{"sku": skus[n % len(skus)], "quantity": 1}], email=email)

            try:
                await check_channel(shop, ChannelFixture(location="WH", place_orders=place))
            finally:
                await shop.aclose()
            assert emu.stats.invalid == 0
            assert emu.stats.throttled == 0

    run(main)
