"""The JSON the connectors write. There is one canonical form (connectors/model.py
``canonical_json``) and content hashes are taken of it: the standard library's sorted, compact,
ASCII-escaped form, so the hashes stored by every earlier version (made with json, and for a
while with orjson where its bytes were the same) stay valid and no item looks changed after an
upgrade. Request bodies are the document ``json.dumps(value, default=str)`` describes, whether
the JSON client encodes them or (the sandbox shop's stock writes) pydantic does."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncwright.connectors.base import OpenGate, SystemSpec
from syncwright.connectors.http import JsonClient
from syncwright.connectors.model import (
    Address,
    Customer,
    Product,
    StockLevel,
    Variant,
    canonical_json,
)
from syncwright.connectors.sandbox.clients.settings import SandboxShopSettings
from syncwright.connectors.sandbox.clients.shop import SandboxShop

# What a record's JSON-mode dump holds: text, integers (some beyond 64 bits), booleans, None,
# lists and string-keyed objects, nested.
scalars = st.none() | st.booleans() | st.integers() | st.text()
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def stdlib_canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


@settings(max_examples=400, deadline=None)
@given(documents)
def test_canonical_bytes_equal_the_stdlib(value: Any) -> None:
    assert canonical_json(value).encode() == stdlib_canonical(value)


@pytest.mark.parametrize(
    "text",
    ["plain", "caf\u00e9", "\x7f", "tab\tnew\nline\x00\x1f", "\ud83d\ude00", "\ud800", 'q"\\'],
)
def test_canonical_edge_text(text: str) -> None:
    value = {"b": text, "a": [text], text: 1}
    assert canonical_json(value).encode() == stdlib_canonical(value)


def test_canonical_sorts_keys_as_python_does() -> None:
    # Code-point order and UTF-8 order differ for these; the stdlib's order wins.
    value = {"\uffff": 1, "\U0001f600": 2, "Z": 3, "a": 4}
    assert canonical_json(value).encode() == stdlib_canonical(value)


def cafe_table() -> Product:
    return Product(
        external_id="7",
        title="Caf\u00e9 table \U0001f600",
        handle="cafe-table",
        variants=(
            Variant(
                external_id="70",
                sku="CT-1",
                price=Decimal("12.50"),
                options={"size": "L", "\u00e9": "x"},
            ),
            Variant(external_id="71", sku=None, title="tab\there", weight_grams=2**70, position=2),
        ),
        restock_date=date(2026, 12, 1),
        custom={"x": "y", "\x7f": "del"},
        modified_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_a_product_hash_is_the_sha256_of_the_stdlib_form() -> None:
    product = cafe_table()
    data = product.model_dump(mode="json", exclude={"modified_at", "version"})
    assert product.content_hash() == hashlib.sha256(stdlib_canonical(data)).hexdigest()


def test_hashes_stored_by_earlier_versions_stay_valid() -> None:
    # Computed by the version before this encoder (orjson where its bytes equalled json's):
    # non-ASCII text, DEL, a tab and an integer beyond 64 bits; a plain ASCII product; a
    # customer with an address; a stock level.
    plain = Product(
        external_id="8",
        title="Wool Scarf",
        handle="wool-scarf",
        variants=(
            Variant(
                external_id="80",
                sku="SC-1",
                price=Decimal("19.99"),
                options={"Size": "M", "Colour": "Red"},
            ),
        ),
        custom={"brand": "Kestrel"},
    )
    customer = Customer(
        external_id="9",
        email="anna@example.com",
        first_name="Anna",
        address=Address(line1="Kerkstraat 1", city="Utrecht", country="NL"),
        discount_percent=Decimal("5.00"),
        price_lists=("Wholesale",),
    )
    level = StockLevel(sku="A", location="north", quantity=3)
    assert [r.content_hash() for r in (cafe_table(), plain, customer, level)] == [
        "aba89e83b2fffb2b3eb7efca632d61ae8a85262bae95f9d6e62bb46ab3516762",
        "1a9c79c39ff3c79eb2a2a4df1d151f0890c97daf2b916e53435e43583753edfb",
        "132a21103edd4d73fd026a1ad4f695cde7db27946a953adf0f67faad79465292",
        "c0013d6507bdcade6d71b886bbc9de50bd54ed5749e0ccdcddafa5f459e8e10e",
    ]


def sent_body(value: Any) -> bytes:
    """The bytes JsonClient puts on the wire for ``json_body=value``."""
    seen: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        assert request.headers["content-type"] == "application/json"
        return httpx.Response(204)

    async def send() -> None:
        client = JsonClient(
            "http://remote.test", system="remote", transport=httpx.MockTransport(answer)
        )
        assert await client.request("POST", "/x", json_body=value) is None
        await client.aclose()

    anyio.run(send)
    return seen[0]


@settings(max_examples=200, deadline=None)
@given(documents)
def test_a_body_is_the_stdlib_document(value: Any) -> None:
    if value is None:  # no body at all
        return
    assert json.loads(sent_body(value)) == json.loads(json.dumps(value, default=str))


def test_a_body_with_times_amounts_and_odd_keys_is_the_stdlib_document() -> None:
    value = {
        "when": datetime(2026, 1, 1, 12, tzinfo=UTC),
        "day": date(2026, 1, 2),
        "amount": Decimal("1.10"),
        1: "int key",
        "big": 2**80,
        "items": (1, "two", None),
        "text": "caf\u00e9 \U0001f600",
    }
    assert json.loads(sent_body(value)) == json.loads(json.dumps(value, default=str))


def test_stock_writes_send_the_stdlib_document() -> None:
    seen: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        count = len(json.loads(request.content)["levels"])
        return httpx.Response(200, json={"results": [{"error": None}] * count})

    levels = [
        StockLevel(sku="SW-1", location="central", quantity=3),
        StockLevel(sku="caf\u00e9-\u00e9", location="north", quantity=-2),
    ]
    system = SystemSpec(
        name="shop",
        kind="sandbox-shop",
        url="http://shop.test",
        settings=SandboxShopSettings(location_map={"central": "Main"}),
        secrets={"api_key": "k"},
    )

    async def write() -> None:
        shop = SandboxShop(system, OpenGate(), transport=httpx.MockTransport(answer))
        results = await shop.set_stock(levels)
        assert [r.remote_id for r in results] == ["SW-1|Main", "caf\u00e9-\u00e9|north"]
        await shop.aclose()

    anyio.run(write)
    expected = {
        "levels": [
            {"sku": "SW-1", "location": "Main", "quantity": 3},
            {"sku": "caf\u00e9-\u00e9", "location": "north", "quantity": -2},
        ]
    }
    assert json.loads(seen[0]) == json.loads(json.dumps(expected, default=str))
