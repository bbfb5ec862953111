"""Orders through a stored function instead of direct inserts, on real PostgreSQL and
MariaDB: the ERP's own function writes the header (under the unique channel reference) and
returns the id; a repeated post is still recognised, never duplicated."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anyio
import pytest
from sql_erp import ORDERS, Erp, spec

from syncwright.connectors.base import AlreadyPosted, OpenGate
from syncwright.connectors.model import Customer, Order, OrderLine
from syncwright.connectors.sql.writes import OrderBook, build

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

FUNCTION = {
    "postgresql": """CREATE FUNCTION post_order(ref TEXT, buyer INT, cur TEXT, amount NUMERIC)
RETURNS INT LANGUAGE sql AS $$
  INSERT INTO sync_order (channel_ref, customer_id, currency, total, status)
  VALUES (ref, buyer, cur, amount, 'open') RETURNING id $$""",
    "mariadb": """CREATE FUNCTION post_order(ref VARCHAR(190), buyer INT, cur VARCHAR(3),
  amount DECIMAL(12,2)) RETURNS INT MODIFIES SQL DATA
BEGIN
  INSERT INTO sync_order (channel_ref, customer_id, currency, total, status)
  VALUES (ref, buyer, cur, amount, 'open');
  RETURN LAST_INSERT_ID();
END""",
}
GRANT = {
    "postgresql": "GRANT EXECUTE ON FUNCTION post_order(TEXT, INT, TEXT, NUMERIC) TO syncwright",
    "mariadb": "GRANT EXECUTE ON FUNCTION erp.post_order TO syncwright",
}


def test_an_order_posted_through_a_stored_function_is_posted_once(database: Any) -> None:
    async def main() -> tuple[str, str, int]:
        erp = Erp(database)
        await erp.create()
        await erp.run(FUNCTION[database.kind], GRANT[database.kind])
        call = "SELECT post_order(:channel_ref, :customer_id, :currency, :total)"
        source = build(spec(database, orders={**ORDERS, "insert": call}), OpenGate())
        assert isinstance(source, OrderBook)
        buyer = Customer(external_id="c", email="fn@example.com")
        line = OrderLine(sku="X-1", quantity=3, unit_price=Decimal("2.50"))
        order = Order(
            external_id="9", customer=buyer, lines=(line,), currency="EUR", total=Decimal("7.50")
        )
        try:
            customer = await source.create_customer(buyer)
            first = await source.create_order(order, customer_id=customer, channel_ref="shop:9")
            with pytest.raises(AlreadyPosted) as again:
                await source.create_order(order, customer_id=customer, channel_ref="shop:9")
            lines = await erp.scalar("SELECT COUNT(*) FROM sync_order_line")
            return first, again.value.existing_id, int(lines)
        finally:
            await source.aclose()
            await erp.aclose()

    first, existing, lines = anyio.run(main)
    assert existing == first
    assert lines == 1
