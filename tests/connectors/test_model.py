"""Content hashes of the canonical records: stable, blind to bookkeeping, sensitive to content."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from syncwright.connectors.model import (
    Address,
    Customer,
    Product,
    StockLevel,
    StoreSettings,
    Variant,
    canonical_json,
)

ROOT = Path(__file__).resolve().parents[2]
T1 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def product(**changes: object) -> Product:
    base = Product(
        external_id="42",
        title="Wool Scarf",
        handle="wool-scarf",
        variants=(
            Variant(
                external_id="420",
                sku="SC-1",
                weight_grams=120,
                options={"Colour": "Red", "Size": "M"},
                price=Decimal("19.99"),
            ),
        ),
        custom={"brand": "Kestrel", "season": "AW26"},
        modified_at=T1,
        version=3,
    )
    return base.model_copy(update=changes)


def customer(**changes: object) -> Customer:
    base = Customer(
        external_id="7",
        email="anna@example.com",
        first_name="Anna",
        last_name="Bos",
        address=Address(line1="Kerkstraat 1", city="Utrecht", country="NL"),
        price_lists=("Wholesale",),
        discount_percent=Decimal("5.00"),
        modified_at=T1,
    )
    return base.model_copy(update=changes)


def test_the_hash_does_not_depend_on_key_order() -> None:
    a = product()
    b = Product(
        version=3,
        modified_at=T1,
        custom={"season": "AW26", "brand": "Kestrel"},
        variants=(
            Variant(
                price=Decimal("19.99"),
                options={"Size": "M", "Colour": "Red"},
                weight_grams=120,
                sku="SC-1",
                external_id="420",
            ),
        ),
        handle="wool-scarf",
        title="Wool Scarf",
        external_id="42",
    )
    assert list(a.custom) != list(b.custom)  # the orders really differ
    assert a.content_hash() == b.content_hash()


def test_the_hash_is_the_same_in_another_process() -> None:
    """Not Python's per-process hash(): a restart must not make every item look changed."""
    code = (
        "from tests.connectors.test_model import product, customer;"
        "print(product().content_hash(), customer().content_hash())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=True
    ).stdout.split()
    assert out == [product().content_hash(), customer().content_hash()]
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in out)


@pytest.mark.parametrize(
    "record, bookkeeping",
    [
        (product(), {"modified_at": T2, "version": 4}),
        (product(), {"modified_at": None, "version": None}),
        (customer(), {"modified_at": T2, "version": 9}),
        (
            StockLevel(sku="SC-1", location="central", quantity=5, modified_at=T1, version=1),
            {"modified_at": T2, "version": 2},
        ),
    ],
)
def test_modified_time_and_version_are_ignored(record: Product, bookkeeping: dict) -> None:
    assert record.model_copy(update=bookkeeping).content_hash() == record.content_hash()


@pytest.mark.parametrize(
    "before, after",
    [
        (product(), product(title="Wool Scarf (long)")),
        (product(), product(status="discontinued")),
        (product(), product(custom={"brand": "Kestrel", "season": "SS27"})),
        (
            product(),
            product(variants=(product().variants[0].model_copy(update={"price": Decimal("21")}),)),
        ),
        (
            product(),
            product(variants=(product().variants[0].model_copy(update={"sku": "SC-2"}),)),
        ),
        (customer(), customer(email="anna.bos@example.com")),
        (customer(), customer(address=Address(line1="Kerkstraat 2", city="Utrecht"))),
        (customer(), customer(pays_on_account=True)),
        (
            StockLevel(sku="SC-1", location="central", quantity=7),
            StockLevel(sku="SC-1", location="central", quantity=5),
        ),
        (
            StockLevel(sku="SC-1", location="central", quantity=5),
            StockLevel(sku="SC-1", location="north", quantity=5),
        ),
        (StoreSettings(currency="EUR"), StoreSettings(currency="GBP")),
    ],
)
def test_any_content_change_changes_the_hash(before: Product, after: Product) -> None:
    assert before.content_hash() != after.content_hash()


def test_an_unset_optional_differs_from_an_empty_value() -> None:
    assert customer(address=None).content_hash() != customer(address=Address()).content_hash()


def test_canonical_json_sorts_keys_and_writes_decimals_and_times_as_strings() -> None:
    text = canonical_json({"b": Decimal("1.50"), "a": T1, "c": [1, {"z": 1, "y": 2}]})
    assert text == '{"a":"2026-11-22T12:00:00+00:00","b":"1.50","c":[1,{"y":2,"z":1}]}'
    with pytest.raises(TypeError):
        canonical_json({"x": object()})
