"""The channel contract suite (connectors/testing.py) against the SparkLayer emulator."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sparklayer_support import channel, run, running

from syncwright.connectors.testing import ChannelFixture, check_channel


@pytest.mark.timeout(300)
def test_sparklayer_channel_keeps_the_contract() -> None:
    async def main() -> None:
        async with running() as emu:
            # SparkLayer's orders go to the merchant's shop, not to us: the suite's customer
            # check needs the buyer to exist on the portal already.
            emu.accounts.put_customer(
                "platform",
                "buyer-1",
                {"external_id": "buyer-1", "email": "Contract.Buyer@example.com"},
            )
            portal = channel(emu)

            async def place(skus: Sequence[str], count: int, email: str) -> None:
                raise AssertionError("SparkLayer is no order source")

            try:
                await check_channel(portal, ChannelFixture(location="WH", place_orders=place))
            finally:
                await portal.aclose()
            assert emu.stats.throttled == 0
            assert emu.stats.tokens == 1, "one token serves the whole suite"

    run(main)
