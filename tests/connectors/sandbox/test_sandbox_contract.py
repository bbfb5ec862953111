"""The channel contract suite (connectors/testing.py) against the running sandbox shop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import httpx
from sales_helpers import run, shop_client

from syncwright.connectors.testing import ChannelFixture, check_channel

if TYPE_CHECKING:
    from tests.connectors.sandbox.conftest import Sandbox


def test_sandbox_shop_keeps_the_channel_contract(shop: Sandbox) -> None:
    async def place(skus: Sequence[str], count: int, email: str) -> None:
        async with httpx.AsyncClient(
            base_url=shop.url, headers={"Authorization": f"Bearer {shop.key}"}, timeout=10
        ) as admin:
            for n in range(count):
                answer = await admin.post(
                    "/admin/orders",
                    json={
                        "customer": {"email": email, "first_name": "Con", "last_name": "Tract"},
                        "lines": [{"sku": skus[n % len(skus)], "quantity": 1}],
                    },
                )
                assert answer.status_code == 201, answer.text

    async def main() -> None:
        channel = shop_client(shop)
        try:
            await check_channel(channel, ChannelFixture(location="central", place_orders=place))
        finally:
            await channel.aclose()

    run(main)
