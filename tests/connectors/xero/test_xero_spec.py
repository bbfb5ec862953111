"""Every request the connector sends and every answer the emulator gives, checked against
Xero's published OpenAPI file (spec_check.py; skipped when the file is absent)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import anyio
from spec_check import CheckingTransport, check_schema, document, operation
from xero_support import contacts, items, running

from syncwright.connectors.base import ChangeQuery, ListQuery
from syncwright.connectors.model import Customer, Order, OrderLine, Product, Shipment, Variant


def test_the_connector_and_emulator_speak_the_published_spec(tmp_path: Path) -> None:
    document()  # skips, naming the file, when the spec is absent

    async def main() -> None:
        async with running(tmp_path) as xero:
            await xero.control("items", items(30))
            await xero.control("contacts", contacts(30))
            checking = CheckingTransport()
            books = xero.connector(transport=checking)
            await books.changed_products(ChangeQuery(None, None, 1000))
            await books.changed_stock(ChangeQuery("2020-01-01T00:00:00Z", None, 1000))
            ids = await books.list_product_ids(ListQuery(None, 1000))
            await books.get_product(ids.items[0])
            await books.get_product("SKU-00001")
            await books.get_stock(["SKU-00001", "SKU-00002"])
            await books.changed_customers(ChangeQuery("2020-01-01T00:00:00.5Z", None, 1000))
            await books.list_customers(ListQuery(None, 1000))
            found = await books.find_customers(email="P1@x.test", account_id="A-1")
            await books.get_customer(found[0].external_id)
            contact = await books.create_customer(
                Customer(external_id="c", email="new@x.test", first_name="New", last_name="One")
            )
            await books.create_product(
                Product(
                    external_id="p",
                    title="Made at sale time",
                    handle="m",
                    variants=(Variant(external_id="v", sku="MADE-1", price=Decimal("2.5")),),
                )
            )
            order = Order(
                external_id="SO-1",
                customer=Customer(external_id="c", email="new@x.test"),
                lines=(OrderLine(sku="MADE-1", quantity=2, unit_price=Decimal("2.5")),),
                currency="NZD",
                total=Decimal("5"),
            )
            assert await books.find_order("SO-1") is None
            invoice = await books.create_order(order, customer_id=contact, channel_ref="SO-1")
            await books.amend_order(invoice, order)
            await books.add_shipment(invoice, Shipment(external_id="F1", lines=(("MADE-1", 2),)))
            await books.has_shipment(invoice, "F1")
            await books.get_settings()
            await books.aclose()
            assert checking.problems == []
            assert checking.checked >= 19

    anyio.run(main)


def test_the_oracle_itself_refuses_what_the_spec_does_not_allow() -> None:
    document()
    op, params = operation("GET", "/Items")
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert check_schema(schema, {"Items": [{"Code": 5, "IsSold": "yes"}]}, "bad") != []
    assert check_schema(schema, {"Items": [{"Code": "A", "IsSold": True}]}, "good") == []
    assert "page" not in {p["name"] for p in params}  # /Items has no paging
    _, put_params = operation("PUT", "/Invoices")
    assert {"Idempotency-Key", "summarizeErrors"} <= {p["name"] for p in put_params}
