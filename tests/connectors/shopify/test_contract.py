"""The connector contract suite (connectors/testing.py) against the emulator, per API version."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from shopify_support import channel, run, running

from syncwright.connectors.shopify.versions import SUPPORTED
from syncwright.connectors.testing import ChannelFixture, check_channel


@pytest.mark.parametrize("version", SUPPORTED)
def test_shopify_channel_keeps_the_contract(version: str) -> None:
    async def main() -> None:
        async with running() as emu:
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
