"""Request bodies on the wire: the JSON client sends the document ``json.dumps(value,
default=str)`` describes, and the sandbox shop's stock writes (encoded by pydantic) the same
document as that."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import anyio
import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from syncwright.connectors.base import OpenGate, SystemSpec
from syncwright.connectors.http import JsonClient
from syncwright.connectors.model import StockLevel
from syncwright.connectors.sandbox.clients.shop import SandboxShop

scalars = st.none() | st.booleans() | st.integers() | st.text()
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


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
        kind="sandbox",
        settings={"url": "http://shop.test", "location_map": {"central": "Main"}},
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
