"""The connector contract suites (connectors/testing*.py) against the real servers."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import anyio
import pytest
from oscar_shopper import place_order
from test_oscar_connector import shop

from syncwright.connectors.testing import (
    ChannelFixture,
    check_channel_products,
    check_channel_stock_and_orders,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_oscar_products_keep_the_channel_contract(oscar: Any) -> None:
    async def main() -> None:
        channel = shop(oscar)
        try:
            await check_channel_products(channel)
        finally:
            await channel.aclose()

    anyio.run(main)


# 101 checkouts through Oscar's API and its order book read in audit mode: 6-10 minutes here.
@pytest.mark.timeout(1200)
def test_oscar_stock_and_orders_keep_the_channel_contract(oscar: Any) -> None:
    async def place(skus: Sequence[str], count: int, email: str) -> None:
        for n in range(count):
            sku = skus[n % len(skus)]
            await anyio.to_thread.run_sync(partial(place_order, oscar, email, [(sku, 1)]))

    async def main() -> None:
        channel = shop(oscar)
        try:
            fixture = ChannelFixture(location="WH", place_orders=place)
            await check_channel_stock_and_orders(channel, fixture)
        finally:
            await channel.aclose()

    anyio.run(main)
