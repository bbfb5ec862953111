"""Strict mapping of customers, orders and settings, and of the answers to order posts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sales_helpers import order, run, spec

from syncwright.connectors.base import AlreadyPosted, ChangeQuery, OpenGate
from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.model import Address
from syncwright.connectors.sandbox.clients.base import ConflictError
from syncwright.connectors.sandbox.clients.erp import SandboxErp
from syncwright.connectors.sandbox.clients.shop import SandboxShop

CUSTOMER: dict[str, Any] = {
    "id": "sc_4",
    "email": "a@b.example",
    "first_name": "A",
    "last_name": "B",
    "company": None,
    "group": None,
    "accounting_id": None,
    "price_lists": [],
    "discount_percent": None,
    "pays_on_account": False,
    "parent_id": None,
    "address": {"line1": "L", "line2": "", "city": "C", "postcode": "P", "country": "NL"},
}
ORDER: dict[str, Any] = {
    "id": "so_7",
    "number": "#1007",
    "customer_id": "sc_4",
    "customer": CUSTOMER,
    "lines": [{"sku": "A-1", "title": "T", "quantity": 2, "unit_price": "5.00"}],
    "currency": "EUR",
    "total": "10.00",
    "status": "open",
    "b2b": True,
    "shipping_address": None,
    "shipments": [
        {
            "id": "sf_1",
            "lines": [["A-1", 2]],
            "carrier": "DHL",
            "tracking": "T1",
            "shipped_at": "2026-11-22T12:00:09Z",
        }
    ],
    "created_at": "2026-11-22T12:00:05Z",
    "updated_at": "2026-11-22T12:00:09Z",
}


def _with(base: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(base))
    target: Any = body
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


def _shop(handler: Callable[[httpx.Request], httpx.Response]) -> SandboxShop:
    return SandboxShop(
        spec("http://shop.test", "shop"), OpenGate(), transport=httpx.MockTransport(handler)
    )


def _erp(handler: Callable[[httpx.Request], httpx.Response]) -> SandboxErp:
    return SandboxErp(
        spec("http://erp.test", "erp"), OpenGate(), transport=httpx.MockTransport(handler)
    )


def test_a_well_formed_order_maps_completely() -> None:
    page = {"items": [ORDER], "next": None}
    shop = _shop(lambda request: httpx.Response(200, json=page))

    async def pull() -> None:
        result = await shop.changed_orders(ChangeQuery(since=None, after=None, limit=10))
        assert result.complete and result.last_key == ("2026-11-22T12:00:09Z", "so_7")
        [sale] = result.items
        assert sale.customer.external_id == "sc_4" and sale.customer.modified_at is None
        assert sale.customer.address == Address(line1="L", city="C", postcode="P", country="NL")
        assert sale.lines[0].unit_price == Decimal("5.00") and sale.total == Decimal("10.00")
        assert sale.shipments[0].lines == (("A-1", 2),)
        assert sale.shipments[0].shipped_at == datetime(2026, 11, 22, 12, 0, 9, tzinfo=UTC)
        assert sale.b2b and sale.number == "#1007" and sale.status == "open"
        await shop.aclose()

    run(pull)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["customer"], KeyError, "order so_7: 'customer' should be an object, got missing"),
        (["lines", 0, "unit_price"], "cheap", "line #0: 'unit_price' should be a decimal"),
        (["lines", 0, "unit_price"], None, "line #0: 'unit_price' should be a decimal"),
        (["lines", 0, "quantity"], "2", "line #0: 'quantity' should be an integer"),
        (["status"], "lost", "'status' should be one of open, cancelled, closed"),
        (["total"], None, "'total' should be a decimal"),
        (["updated_at"], "soon", "'updated_at' should be a time"),
        (["shipments", 0, "lines"], [["A-1"]], "shipment #0: 'lines' should be a list of [sku"),
        (["customer", "price_lists"], [1], "customer sc_4: 'price_lists' should be a list of str"),
        (["customer", "address", "line1"], KeyError, "address: 'line1' should be a string"),
        (["customer", "pays_on_account"], "no", "'pays_on_account' should be true or false"),
        (["b2b"], 1, "'b2b' should be true or false"),
    ],
)
def test_malformed_orders_raise_payload_error(path: list[Any], value: Any, message: str) -> None:
    page = {"items": [_with(ORDER, path, value)], "next": None}
    shop = _shop(lambda request: httpx.Response(200, json=page))

    async def pull() -> None:
        with pytest.raises(PayloadError, match=message.replace("[", r"\[")) as caught:
            await shop.changed_orders(ChangeQuery(since=None, after=None, limit=10))
        assert caught.value.system == "test-shop"
        await shop.aclose()

    run(pull)


ERP_CUSTOMER = {**CUSTOMER, "id": 4, "parent_id": 2, "modified_at": "2026-11-22T12:00:05Z"}


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["id"], "4", "customer: 'id' should be an integer, got str"),
        (["parent_id"], "sc_2", "customer 4: 'parent_id' should be an integer or null"),
        (["discount_percent"], "lots", "'discount_percent' should be a decimal string"),
        (["modified_at"], KeyError, "'modified_at' should be a string, got missing"),
        (["first_name"], None, "'first_name' should be a string"),
    ],
)
def test_malformed_customers_raise_payload_error(path: list[Any], value: Any, message: str) -> None:
    page = {"items": [_with(ERP_CUSTOMER, path, value)], "next": None}
    erp = _erp(lambda request: httpx.Response(200, json=page))

    async def pull() -> None:
        with pytest.raises(PayloadError, match=message):
            await erp.changed_customers(ChangeQuery(since=None, after=None, limit=10))
        await erp.aclose()

    run(pull)


def test_a_well_formed_back_office_customer_maps() -> None:
    erp = _erp(lambda request: httpx.Response(200, json={"items": [ERP_CUSTOMER], "next": None}))

    async def pull() -> None:
        page = await erp.changed_customers(ChangeQuery(since=None, after=None, limit=10))
        assert page.last_key == ("2026-11-22T12:00:05Z", "4")
        [found] = page.items
        assert (found.external_id, found.parent_external_id, found.company) == ("4", "2", "")
        await erp.aclose()

    run(pull)


@pytest.mark.parametrize(
    ("status", "body", "expected", "message"),
    [
        (409, {"error": "exists", "existing_id": 12}, AlreadyPosted, "exists: 12"),
        (409, {"error": "exists"}, PayloadError, "without the existing id"),
        (409, "<html>", PayloadError, "without the existing id"),
        (422, {"error": "unknown SKU 'X' in line 1"}, PermanentError, "unknown SKU 'X' in line 1"),
        (201, {"id": "12"}, PayloadError, "'id' should be an integer"),
    ],
)
def test_answers_to_an_order_post(
    status: int, body: Any, expected: type[Exception], message: str
) -> None:
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    erp = _erp(lambda request: httpx.Response(status, content=content))

    async def post() -> None:
        with pytest.raises(expected, match=message) as caught:
            await erp.create_order(
                order("so_1", ("A", 1, "1.00")), customer_id="3", channel_ref="so_1"
            )
        if isinstance(caught.value, AlreadyPosted):
            assert caught.value.existing_id == "12"
        await erp.aclose()

    run(post)


def test_conflicts_on_customers_and_products_are_permanent() -> None:
    answer = {"error": "accounting id 'A' already belongs to customer 3", "existing_id": 3}
    erp = _erp(lambda request: httpx.Response(409, json=answer))

    async def post() -> None:
        with pytest.raises(ConflictError) as caught:
            await erp.create_customer(order("x", ("A", 1, "1.00")).customer)
        assert isinstance(caught.value, PermanentError) and caught.value.existing_id == "3"
        assert "already belongs to customer 3" in str(caught.value)
        await erp.aclose()

    run(post)


@pytest.mark.parametrize("currency", ["euro", "eur", None, 978])
def test_malformed_settings_raise_payload_error(currency: Any) -> None:
    erp = _erp(lambda request: httpx.Response(200, json={"currency": currency, "name": "N"}))

    async def read() -> None:
        with pytest.raises(PayloadError, match="'currency' should be"):
            await erp.get_settings()
        await erp.aclose()

    run(read)
