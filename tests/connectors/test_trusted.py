"""Records built by connectors/trusted.py are indistinguishable from validated ones: equal,
same JSON (field order included), same content hash, same fields set, still frozen."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from syncwright.connectors.model import Product, StockLevel, Variant
from syncwright.connectors.sandbox.wire import fast as wire_fast
from syncwright.connectors.sandbox.wire import products as wire
from syncwright.connectors.trusted import trusted

WHEN = datetime(2026, 11, 25, 22, 49, 31, tzinfo=UTC)
VARIANT: dict[str, Any] = {
    "external_id": "70",
    "sku": "SW-7-01",
    "title": "M",
    "weight_grams": 206,
    "position": 1,
    "image_url": None,
    "options": {"Size": "M"},
    "price": Decimal("43.95"),
    "rrp": None,
}


def same(built: BaseModel, validated: BaseModel) -> None:
    assert built == validated
    assert type(built) is type(validated)
    assert built.model_dump_json() == validated.model_dump_json()
    assert repr(built) == repr(validated)
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump(exclude_unset=True) == validated.model_dump(exclude_unset=True)


def test_a_variant_with_every_field_given() -> None:
    same(trusted(Variant, **VARIANT), Variant(**VARIANT))


def test_fields_given_out_of_order_keep_the_declared_order() -> None:
    reordered = dict(reversed(list(VARIANT.items())))
    same(trusted(Variant, **reordered), Variant(**reordered))


def test_missing_fields_take_their_defaults_and_factories_give_fresh_objects() -> None:
    a = trusted(Variant, external_id="1", sku=None)
    same(a, Variant(external_id="1", sku=None))
    b = trusted(Variant, external_id="2", sku=None)
    assert a.options == {} and a.options is not b.options


def test_a_product_and_a_stock_level_hash_as_validated_ones() -> None:
    values: dict[str, Any] = {
        "external_id": "7",
        "title": "Urban Bamboo Belt",
        "handle": "urban-bamboo-belt-7",
        "status": "live",
        "variants": (Variant(**VARIANT),),
        "restock_date": date(2026, 12, 1),
        "custom": {"brand": "Kestrel"},
        "modified_at": WHEN,
    }
    product = trusted(Product, **values)
    same(product, Product(**values))
    assert product.content_hash() == Product(**values).content_hash()
    level = {"sku": "A", "location": "north", "quantity": 3, "modified_at": WHEN}
    same(trusted(StockLevel, **level), StockLevel(**level))
    assert trusted(StockLevel, **level).key == ("A", "north")


def test_built_records_stay_frozen() -> None:
    level = trusted(StockLevel, sku="A", location="north", quantity=3)
    with pytest.raises(ValidationError):
        level.quantity = 4  # type: ignore[misc]
    assert level.model_copy(update={"quantity": 4}).quantity == 4


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field 'colour'"):
        trusted(StockLevel, sku="A", location="north", quantity=3, colour="red")


def test_the_fast_paths_match_the_checked_mapping_field_for_field() -> None:
    product = {
        "id": 7,
        "title": "Belt",
        "handle": "belt-7",
        "status": "live",
        "restock_date": None,
        "modified_at": "2026-11-25T22:49:31Z",
        "variants": [
            {"id": 70, "sku": "B-1", "title": "M", "position": 1, "price": "1.50", "rrp": None},
            {"id": 71, "sku": None, "title": "L", "position": 2, "weight_grams": 5},
        ],
    }
    fast = wire_fast.erp_product(product)
    checked = wire._erp_product_checked(product, "erp")
    assert fast[1:] == checked[1:]
    same(fast[0], checked[0])
    for fast_variant, checked_variant in zip(fast[0].variants, checked[0].variants, strict=True):
        same(fast_variant, checked_variant)
    row = {
        "id": 12,
        "sku": "B-1",
        "location": "north",
        "quantity": 66,
        "variant_id": 70,
        "modified_at": "2026-11-25T22:51:43Z",
    }
    fast_row, checked_row = wire_fast.erp_stock(row), wire._erp_stock_checked(row, "erp")
    assert fast_row[1:] == checked_row[1:]
    same(fast_row[0], checked_row[0])
