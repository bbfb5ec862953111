"""The fast paths for back-office products and stock rows (connectors/sandbox/wire/fast.py)
agree with the field-by-field mapping on every input: the same record for a good item, the same
PayloadError for a bad one. Inputs are generated (hypothesis) from good items with fields
removed or replaced by values of other types."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.sandbox.wire import fast as wire_fast
from syncwright.connectors.sandbox.wire import products as wire

GOOD_PRODUCT: dict[str, Any] = {
    "id": 7,
    "title": "Urban Bamboo Belt",
    "handle": "urban-bamboo-belt-7",
    "status": "live",
    "deleted": False,
    "restock_date": "2026-12-01",
    "custom": {"brand": "Kestrel", "season": "AW26"},
    "modified_at": "2026-11-25T22:49:31Z",
    "variants": [
        {
            "id": 70,
            "sku": "SW-7-01",
            "title": "M",
            "weight_grams": 206,
            "position": 1,
            "image_url": "https://images.sandbox.invalid/7/1.jpg",
            "options": {"Size": "M"},
            "price": "43.95",
            "rrp": "52.99",
        }
    ],
}
GOOD_STOCK: dict[str, Any] = {
    "id": 12,
    "sku": "SW-7-01",
    "location": "north",
    "quantity": 66,
    "variant_id": 70,
    "modified_at": "2026-11-25T22:51:43Z",
}

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(
        ["", "live", "discontinued", "NaN", "1.5", "x", "2026-11-22", "2026-11-22T12:00:05Z"]
    ),
    st.just([]),
    st.just({}),
    st.just({"a": 1}),
    st.floats(allow_nan=True),
)


def outcome(fn: Any, data: Any) -> tuple[str, Any]:
    try:
        return ("ok", fn(data, "erp"))
    except PayloadError as exc:
        return ("error", str(exc))


@st.composite
def mutated(draw: st.DrawFn, good: dict[str, Any], nested: str | None = None) -> dict[str, Any]:
    item = {**good}
    if nested is not None and draw(st.booleans()):
        inner = {**item[nested][0]}
        key = draw(st.sampled_from(sorted(inner)))
        if draw(st.booleans()):
            del inner[key]
        else:
            inner[key] = draw(ODD_VALUES)
        item[nested] = [inner]
        return item
    for key in draw(st.lists(st.sampled_from(sorted(good)), max_size=3, unique=True)):
        if draw(st.booleans()):
            del item[key]
        else:
            item[key] = draw(ODD_VALUES)
    return item


def test_good_items_give_the_same_records_both_ways() -> None:
    assert wire_fast.erp_product(GOOD_PRODUCT) == wire._erp_product_checked(GOOD_PRODUCT, "erp")
    assert wire_fast.erp_stock(GOOD_STOCK) == wire._erp_stock_checked(GOOD_STOCK, "erp")
    deleted = {**GOOD_PRODUCT, "deleted": True}
    assert wire.erp_product(deleted, "erp")[0].status == "discontinued"


@settings(max_examples=400, deadline=None)
@given(mutated(GOOD_PRODUCT, nested="variants"))
def test_products_agree_with_the_checked_mapping(item: dict[str, Any]) -> None:
    assert outcome(wire.erp_product, item) == outcome(wire._erp_product_checked, item)


@settings(max_examples=300, deadline=None)
@given(mutated(GOOD_STOCK))
def test_stock_rows_agree_with_the_checked_mapping(item: dict[str, Any]) -> None:
    assert outcome(wire.erp_stock, item) == outcome(wire._erp_stock_checked, item)


def test_odd_items_fall_back_to_the_named_error() -> None:
    bad = {**GOOD_STOCK, "quantity": "66"}
    assert outcome(wire.erp_stock, bad) == (
        "error",
        "erp: stock row 12: 'quantity' should be an integer, got str",
    )
    not_a_row = outcome(wire.erp_stock, ["not", "an", "object"])
    assert not_a_row == ("error", "erp: stock row is not a JSON object")
