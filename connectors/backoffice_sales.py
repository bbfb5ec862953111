"""The customer and order checks of the back-office contract suite
(connectors/backoffice_testing.py); the platform's fixture is a BackOfficeFixture."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from syncwright.connectors.backoffice_fixture import BackOfficeFixture, SeededProduct, skip
from syncwright.connectors.base import (
    AlreadyPosted,
    CustomerDirectory,
    OrderTarget,
    OrderWorkflow,
    ShipmentLookup,
    SourceConnector,
)
from syncwright.connectors.model import Address, Customer, Order, OrderLine, Shipment


async def check_customers(source: SourceConnector, fixture: BackOfficeFixture) -> None:
    """Two sharing an e-mail are both found; account id; a created one is found."""
    if not isinstance(source, CustomerDirectory):
        skip(fixture, "customers: the connector is not a CustomerDirectory")
        return
    if fixture.seed_customers is None:
        skip(fixture, "customers sharing an e-mail: the fixture cannot make customers")
    else:
        made = await fixture.seed_customers()
        for email in (made.shared_email, made.shared_email.upper()):
            found = await source.find_customers(email=email, account_id=None)
            ids = sorted(c.external_id for c in found)
            assert ids == sorted(made.shared_ids), f"find_customers({email!r}) gave {ids}"
        if made.account_id is None:
            skip(fixture, "customers by account id: the platform has none")
        else:
            found = await source.find_customers(email=None, account_id=made.account_id)
            assert [c.external_id for c in found] == [made.account_customer_id], found
    assert await source.find_customers(email="bo.nobody@example.com", account_id=None) == []
    new_id = await source.create_customer(_customer("bo.contract.new@example.com"))
    found = await source.find_customers(email="BO.Contract.New@example.com", account_id=None)
    assert [c.external_id for c in found] == [new_id], f"created {new_id}, found {found}"


def _customer(email: str) -> Customer:
    address = Address(line1="Contract St 1", city="Utrecht", postcode="3511 AB", country="NL")
    return Customer(
        external_id="", email=email, first_name="Bo", last_name="Contract", address=address
    )


def _order(ref: str, lines: Sequence[tuple[str, int, Decimal]]) -> Order:
    built = tuple(
        OrderLine(sku=sku, title=f"Item {sku}", quantity=qty, unit_price=price)
        for sku, qty, price in lines
    )
    return Order(
        external_id=ref,
        number=ref,
        customer=_customer("bo.contract.buyer@example.com"),
        lines=built,
        currency="EUR",
        total=sum((line.unit_price * line.quantity for line in built), Decimal(0)),
        shipping_address=_customer("").address,
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


async def check_orders(
    source: SourceConnector, fixture: BackOfficeFixture, seeded: list[SeededProduct], size: int
) -> None:
    """Posted once by channel reference, amended, advanced, shipped; an order book over a
    page, each order found by its reference."""
    if not isinstance(source, OrderTarget):
        skip(fixture, "orders: the connector is not an OrderTarget")
        return
    if not isinstance(source, CustomerDirectory):
        skip(fixture, "orders: no CustomerDirectory to make the buyer with")
        return
    customer_id = await source.create_customer(_customer("bo.contract.buyer@example.com"))
    # Two SKUs: two variants of one product, or (one-variant products) of two products.
    priced = sorted(seeded[2].prices.items()) + sorted(seeded[3].prices.items())
    (sku_a, price_a), (sku_b, price_b) = priced[:2]
    ref = "BO-CONTRACT-1"
    assert await source.find_order(ref) is None, f"{ref} found before it was posted"
    order = _order(ref, [(sku_a, 1, price_a)])
    order_id = await source.create_order(order, customer_id=customer_id, channel_ref=ref)
    assert await source.find_order(ref) == order_id, f"{ref} not found as {order_id}"
    try:
        await source.create_order(order, customer_id=customer_id, channel_ref=ref)
    except AlreadyPosted as exc:
        assert exc.existing_id == order_id, f"AlreadyPosted names {exc.existing_id}"
    else:
        raise AssertionError(f"{ref} was posted twice")
    await source.amend_order(order_id, _order(ref, [(sku_a, 2, price_a), (sku_b, 1, price_b)]))
    if isinstance(source, OrderWorkflow):
        steps = [step for _ in range(10) if (step := await source.advance_order(order_id))]
        assert await source.advance_order(order_id) is None, f"workflow never ends: {steps}"
    else:
        skip(fixture, "order workflow: the connector is not an OrderWorkflow")
    await _check_shipments(source, fixture, order_id, sku_a)
    count = fixture.order_count if fixture.order_count is not None else size + 1
    refs = [f"BO-BOOK-{n}" for n in range(count)]
    posted = [
        await source.create_order(
            _order(r, [(sku_b, 1, price_b)]), customer_id=customer_id, channel_ref=r
        )
        for r in refs
    ]
    assert len(set(posted)) == count, "two orders got one id"
    for r, oid in [(refs[0], posted[0]), (refs[-1], posted[-1]), (ref, order_id)]:
        assert await source.find_order(r) == oid, f"{r} not found as {oid} among {count}"


async def _check_shipments(
    source: OrderTarget, fixture: BackOfficeFixture, order_id: str, sku: str
) -> None:
    if not fixture.channel_shipments:
        skip(fixture, "shipments: the back office does not record channel shipments")
        return
    shipment = Shipment(external_id="BO-SHIP-1", lines=((sku, 1),), carrier="PostNL")
    lookup = source if isinstance(source, ShipmentLookup) else None
    if lookup is None:
        skip(fixture, "ShipmentLookup: the connector cannot look shipments up")
    else:
        assert not await lookup.has_shipment(order_id, shipment.external_id), "shipped already"
    await source.add_shipment(order_id, shipment)
    if lookup is not None:
        assert await lookup.has_shipment(order_id, shipment.external_id), "shipment not found"
