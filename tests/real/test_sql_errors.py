"""Database errors of the sql kind as the contract's error classes, on real servers: a
server that does not answer, a statement the user has no grant for, and an order whose
lines fail (nothing of it stays: header and lines are one transaction)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import anyio
import pytest
from proc import free_port
from sql_erp import ORDERS, Erp, spec

from syncwright.connectors.base import ListQuery, OpenGate, SystemSpec
from syncwright.connectors.errors import AuthError, PermanentError, TransientError
from syncwright.connectors.model import Customer, Order, OrderLine
from syncwright.connectors.sql.writes import OrderBook, build

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
T = TypeVar("T")


def run(func: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(func)


def order(ref: str) -> Order:
    buyer = Customer(external_id="c1", email="e@example.com")
    line = OrderLine(sku="BO-0-S", quantity=1, unit_price=Decimal("5.00"))
    return Order(external_id=ref, customer=buyer, lines=(line,), currency="EUR", total=Decimal(5))


def test_a_server_that_does_not_answer_is_transient(database: Any) -> None:
    async def main() -> None:
        good = spec(database)
        url = good.url.replace(f":{database.port}/", f":{free_port()}/")
        source = build(SystemSpec(good.name, "sql", url, good.settings, good.secrets), OpenGate())
        try:
            with pytest.raises(TransientError, match="erpdb: database"):
                await source.list_products(ListQuery(None, 10))
        finally:
            await source.aclose()

    run(main)


def test_a_missing_grant_is_permanent(database: Any) -> None:
    async def main() -> None:
        erp = Erp(database)
        await erp.create()
        await erp.run("CREATE TABLE secret_prices (id INT)")
        source = build(
            spec(database, products={"query": "SELECT id, id AS changed FROM secret_prices"}),
            OpenGate(),
        )
        try:
            with pytest.raises(PermanentError, match="statement refused"):
                await source.list_products(ListQuery(None, 10))
        finally:
            await source.aclose()
            await erp.aclose()

    run(main)


def test_an_order_whose_lines_fail_leaves_nothing_behind(database: Any) -> None:
    async def main() -> tuple[Any, Any]:
        erp = Erp(database)
        await erp.create()
        broken = {**ORDERS, "line": ORDERS["line"].replace("unit_price)", "no_such_column)")}
        source = build(spec(database, orders=broken), OpenGate())
        assert isinstance(source, OrderBook)
        customer = await source.create_customer(Customer(external_id="", email="e@example.com"))
        try:
            with pytest.raises(PermanentError):
                await source.create_order(order("o-1"), customer_id=customer, channel_ref="shop:1")
            found = await source.find_order("shop:1")
            count = await erp.scalar("SELECT COUNT(*) FROM sync_order")
            return found, count
        finally:
            await source.aclose()
            await erp.aclose()

    assert run(main) == (None, 0)


def test_an_unknown_user_is_an_auth_error(database: Any) -> None:
    async def main() -> None:
        good = spec(database)
        url = good.url.replace("syncwright@", "nobody_here@")
        source = build(SystemSpec(good.name, "sql", url, good.settings, good.secrets), OpenGate())
        try:
            with pytest.raises(AuthError, match="login refused"):
                await source.list_products(ListQuery(None, 10))
        finally:
            await source.aclose()

    run(main)
