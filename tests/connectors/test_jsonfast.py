"""connectors/jsonfast.py gives the stdlib's answers: the same canonical bytes (so content
hashes stored before orjson stay valid) and request bodies that decode to the same values."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncwright.connectors import jsonfast
from syncwright.connectors.model import Product, Variant

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
    assert jsonfast.canonical(value) == stdlib_canonical(value)


@pytest.mark.parametrize(
    "text",
    ["plain", "caf\u00e9", "\x7f", "tab\tnew\nline\x00\x1f", "\ud83d\ude00", "\ud800", 'q"\\'],
)
def test_canonical_edge_text(text: str) -> None:
    value = {"b": text, "a": [text], text: 1}
    assert jsonfast.canonical(value) == stdlib_canonical(value)


def test_canonical_sorts_keys_as_python_does() -> None:
    # Code-point order and UTF-8 order differ for these; the stdlib's order wins.
    value = {"\uffff": 1, "\U0001f600": 2, "Z": 3, "a": 4}
    assert jsonfast.canonical(value) == stdlib_canonical(value)


def test_a_product_hash_is_the_sha256_of_the_stdlib_form() -> None:
    product = Product(
        external_id="7",
        title="Caf\u00e9 table",
        handle="cafe-table",
        variants=(
            Variant(external_id="70", sku="CT-1", price=Decimal("12.50"), options={"size": "L"}),
        ),
        restock_date=date(2026, 12, 1),
        custom={"x": "y"},
        modified_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    data = product.model_dump(mode="json", exclude={"modified_at", "version"})
    assert product.content_hash() == hashlib.sha256(stdlib_canonical(data)).hexdigest()


@settings(max_examples=300, deadline=None)
@given(documents)
def test_dumps_is_the_stdlib_document(value: Any) -> None:
    assert json.loads(jsonfast.dumps(value)) == json.loads(json.dumps(value, default=str))


def test_dumps_matches_the_stdlib_document() -> None:
    value = {
        "when": datetime(2026, 1, 1, 12, tzinfo=UTC),
        "day": date(2026, 1, 2),
        "amount": Decimal("1.10"),
        1: "int key",
        "big": 2**80,
        "items": (1, "two", None),
    }
    assert json.loads(jsonfast.dumps(value)) == json.loads(json.dumps(value, default=str))
    small = {k: v for k, v in value.items() if k != "big"}
    assert json.loads(jsonfast.dumps(small)) == json.loads(json.dumps(small, default=str))
