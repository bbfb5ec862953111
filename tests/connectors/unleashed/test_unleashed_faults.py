"""Unleashed failures as the connector sees them: the signature, the monthly quota, and every
fault switch of the emulator mapped to the contract's error classes; passes retried through
the faults end with every item exactly once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import anyio
import pytest
from unleashed_support import API_ID, CountingGate, erp, raw, running, signed_headers

from syncwright.connectors.base import ChangeQuery, ListQuery, SystemSpec
from syncwright.connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from syncwright.connectors.model import Customer, Order, OrderLine
from syncwright.connectors.unleashed.client import next_reset
from syncwright.connectors.unleashed.connector import UnleashedErp
from syncwright.connectors.unleashed.settings import UnleashedSettings


def test_the_signature_covers_the_query_only_and_a_wrong_one_is_403() -> None:
    async def main() -> None:
        async with running(products=3) as emu:
            ok = await raw(emu, "GET", "/Products/1", "pageSize=2")
            assert ok.status_code == 200 and ok.json()["Pagination"]["NumberOfPages"] == 2
            # The page number is in the path, so page 2 carries the same signature.
            page2 = await raw(emu, "GET", "/Products/2", "pageSize=2")
            assert page2.json()["Pagination"]["PageNumber"] == 2
            bare = await raw(emu, "GET", "/Warehouses")  # an empty query signs ""
            assert bare.status_code == 200
            wrong = await raw(
                emu, "GET", "/Products", "pageSize=2", headers=signed_headers("pageSize=3")
            )
            assert wrong.status_code == 403
            spec = SystemSpec(
                "ul",
                "unleashed",
                emu.url,
                UnleashedSettings(),
                {"api_id": API_ID, "api_key": "not-the-key"},
            )
            conn = UnleashedErp(spec, CountingGate())
            with pytest.raises(AuthError):
                await conn.list_products(ListQuery(None, 10))
            await conn.aclose()

    anyio.run(main)


def test_filters_envelope_and_bad_requests() -> None:
    async def main() -> None:
        async with running(products=5) as emu:
            over = await raw(emu, "GET", "/Products/1", "pageSize=1001")
            assert over.status_code == 400 and "pageSize" in over.json()["Description"]
            bad_date = await raw(emu, "GET", "/Products", "modifiedSince=yesterday")
            assert bad_date.status_code == 400
            prefix = await raw(emu, "GET", "/Products", "productCode=UL-0000")
            assert prefix.json()["Pagination"]["NumberOfItems"] == 5
            dated = await raw(emu, "GET", "/Products", "modifiedSince=2000-01-01")
            assert dated.json()["Pagination"]["NumberOfItems"] == 5
            one = emu.store.product_by_code("UL-00001")
            assert one is not None
            emu.store.obsolete_product(one["Guid"])
            hidden = await raw(emu, "GET", "/Products")
            assert hidden.json()["Pagination"]["NumberOfItems"] == 4
            shown = await raw(emu, "GET", "/Products", "includeObsolete=true")
            assert shown.json()["Pagination"]["NumberOfItems"] == 5
            assert shown.json()["Items"][0]["LastModifiedOn"].startswith("/Date(")

    anyio.run(main)


def test_the_monthly_quota_refuses_until_the_first_and_says_so() -> None:
    async def main() -> None:
        async with running(products=3, quota=3) as emu:
            emu.clock.fixed = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
            conn = erp(emu)
            for _ in range(3):
                await conn.list_products(ListQuery(None, 10))
            with pytest.raises(RateLimitedError) as info:
                await conn.list_products(ListQuery(None, 10))
            assert info.value.retry_after is not None and info.value.retry_after > 0
            assert "monthly API quota" in str(info.value)
            assert emu.quota.warned == [90, 95]
            emu.clock.fixed = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
            assert (await conn.list_products(ListQuery(None, 10))).items
            await conn.aclose()
        # The refusal's status is a switch; the connector follows its own setting.
        async with running(products=1, quota=0, quota_status=403) as emu:
            conn = erp(emu, quota_status=403)
            with pytest.raises(RateLimitedError):
                await conn.list_products(ListQuery(None, 10))
            await conn.aclose()

    anyio.run(main)


def test_next_reset_is_the_first_of_next_month_utc() -> None:
    assert next_reset(datetime(2026, 12, 31, 23, 0, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert next_reset(datetime(2026, 2, 1, 0, 0, tzinfo=UTC)) == datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("switch", "error"),
    [
        ({"error_rate": 1.0}, TransientError),
        ({"drop_rate": 1.0}, TransientError),
        ({"malformed_rate": 1.0}, TransientError),
        ({"truncated_rate": 1.0}, TransientError),
        ({"throttle_429_rate": 1.0}, RateLimitedError),
        ({"slow_seconds": 2.0}, TransientError),
    ],
)
def test_each_fault_switch_maps_to_a_retryable_error(
    switch: dict[str, Any], error: type[ConnectorError]
) -> None:
    async def main() -> None:
        async with running(products=3) as emu:
            emu.faults.update(switch)
            conn = erp(emu, timeout=0.5)
            with pytest.raises(error) as info:
                await conn.list_products(ListQuery(None, 10))
            assert not isinstance(info.value, PermanentError)
            if isinstance(info.value, RateLimitedError):
                assert info.value.retry_after == 1.0
            await conn.aclose()

    anyio.run(main)


async def _retrying(call: Any) -> Any:
    for _ in range(200):
        try:
            return await call()
        except (TransientError, RateLimitedError):
            continue
    raise AssertionError("no success in 200 attempts")


def test_passes_through_every_fault_lose_nothing_and_post_once() -> None:
    async def main() -> None:
        async with running(products=2500, customers=2) as emu:
            emu.faults.update(
                {
                    "error_rate": 0.15,
                    "drop_rate": 0.1,
                    "malformed_rate": 0.1,
                    "truncated_rate": 0.1,
                    "throttle_429_rate": 0.1,
                    "seed": 3,
                }
            )
            conn = erp(emu)
            seen: list[str] = []
            query = ChangeQuery(None, None, 1000)
            while True:
                page = await _retrying(lambda q=query: conn.changed_products(q))
                seen += [p.external_id for p in page.items]
                if page.complete:
                    break
                query = ChangeQuery(None, page.resume_key, 1000)
            assert len(seen) == len(set(seen)) == 2500
            order = Order(
                external_id="shop:77",
                customer=Customer(external_id="c", email="buyer1@example.com"),
                lines=(OrderLine(sku="UL-00002", quantity=1, unit_price=Decimal("12.50")),),
                currency="NZD",
                total=Decimal("12.50"),
            )
            customer = (
                await _retrying(
                    lambda: conn.find_customers(email="buyer1@example.com", account_id=None)
                )
            )[0]

            async def post() -> str:
                found = await conn.find_order("shop:77")
                if found is not None:
                    return found
                return await conn.create_order(
                    order, customer_id=customer.external_id, channel_ref="shop:77"
                )

            emu.faults.update({"fail_after": ["POST /SalesOrders"]})
            for _ in range(3):
                await _retrying(post)
            assert len(emu.store.orders) == 1
            await conn.aclose()

    anyio.run(main)
