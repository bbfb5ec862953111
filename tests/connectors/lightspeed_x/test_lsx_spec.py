"""Every request the connector sends and every answer the emulator gives, checked against
Lightspeed's published X-Series API 2.0 OpenAPI file (skips, naming it, when it is absent)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lsx_spec import OUTSIDE_SPEC, check_exchange, spec
from lx_support import connector, drain, run, running
from test_lsx_sales import order

from syncwright.connectors.lightspeed_x.emulator.control import seed
from syncwright.connectors.model import Customer, Product, Shipment, Variant


def test_every_exchange_fits_the_published_spec() -> None:
    spec()  # skips with the missing file's name

    async def main() -> list[tuple[object, ...]]:
        async with running(record=True) as emu:
            seed(emu.store, 30, 3, outlets=2)
            lsx = connector(emu, page_size=25)
            try:
                products, high = await drain(lsx.changed_products, limit=25)
                emu.store.update_product(products[3].variants[1].external_id, weight=300)
                emu.store.delete_product(products[4].external_id)
                await drain(lsx.changed_products, high, limit=25)
                await drain(lsx.changed_stock, limit=25)
                await lsx.get_product("LX-00002-1")
                await lsx.get_stock(["LX-00002-1", "LX-00009-0"])
                cid = await lsx.create_customer(
                    Customer(
                        external_id="x",
                        email="A@b.co",
                        first_name="A",
                        last_name="B",
                        accounting_id="K-1",
                    )
                )
                await drain(lsx.changed_customers)
                await lsx.find_customers(email="a@b.co", account_id="K-1")
                await lsx.get_customer(cid)
                await lsx.get_customer("00000000-0000-4000-8000-000000000000")
                await lsx.create_product(
                    Product(
                        external_id="n",
                        title="New",
                        handle="new",
                        variants=(
                            Variant(
                                external_id="v", sku="NEW-1", price=Decimal("3"), weight_grams=120
                            ),
                        ),
                    )
                )
                sid = await lsx.create_order(order(), customer_id=cid, channel_ref="s:1")
                await lsx.find_order("s:2")
                await lsx.amend_order(sid, order(qty=1))
                await lsx.has_shipment(sid, "f")
                await lsx.add_shipment(sid, Shipment(external_id="f"))
                await lsx.get_settings()
            finally:
                await lsx.aclose()
            return list(emu.exchanges)

    exchanges = run(main)
    routes = {(e[0], e[1]) for e in exchanges}
    assert len(routes) >= 14, routes
    for method, route, query, body, status, answer in exchanges:
        check_exchange(method, route, query, body, status, answer)
    assert {("POST", "/api/register_sales")} == routes & OUTSIDE_SPEC


def test_the_checker_catches_what_the_spec_forbids() -> None:
    spec()
    with pytest.raises(AssertionError, match="parameter since is not in the spec"):
        check_exchange("GET", "/api/2.0/products", [("since", "1")], None, 200, None)
    with pytest.raises(AssertionError, match="not an integer"):
        check_exchange("GET", "/api/2.0/products", [("after", "x")], None, 200, None)
    with pytest.raises(AssertionError, match="request"):
        check_exchange(
            "POST", "/api/2.0/sales/{sid}/fulfill", [], {"fulfillment_type": "X"}, 200, None
        )
    with pytest.raises(AssertionError, match="answer"):
        check_exchange(
            "GET",
            "/api/2.0/products",
            [],
            None,
            200,
            {"data": [{"id": "1"}], "version": {"min": 1, "max": 1}},
        )
