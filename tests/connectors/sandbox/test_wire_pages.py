"""Whole pages of back-office products and stock rows (connectors/sandbox/wire/pages.py) agree
with the item-by-item checked mapping (wire/products.py) on every input: the same records for a
good page, indistinguishable from validated ones; and for a page with a bad item no records at
all, so that the checked mapping names the problem with the same PayloadError as before. Inputs
are generated (hypothesis) from good items with fields removed or replaced by values of other
types; the last tests check the same through the back-office client over HTTP."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from syncwright.connectors.base import ChangeQuery, OpenGate, SystemSpec
from syncwright.connectors.errors import PayloadError
from syncwright.connectors.sandbox.clients.erp import SandboxErp
from syncwright.connectors.sandbox.clients.settings import SandboxErpSettings
from syncwright.connectors.sandbox.wire import pages
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
#: Optional fields left out or null, a second variant, a key the mapping does not know.
SPARSE_PRODUCT: dict[str, Any] = {
    "id": 8,
    "title": "Belt",
    "handle": "belt-8",
    "status": "discontinued",
    "restock_date": None,
    "modified_at": "2026-11-25T22:49:31Z",
    "colour": "red",
    "variants": [
        {"id": 80, "sku": "B-1", "title": "M", "position": 1, "price": "1.50", "rrp": None},
        {"id": 81, "sku": None, "title": "L", "position": 2, "weight_grams": 5},
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


#: The ``next`` of a page that says more exists.
MORE = {"after_modified": "2026-11-25T22:51:43Z", "after_id": 99}


def page(*items: Any, more: bool = False) -> bytes:
    nxt = MORE if more else None
    return json.dumps({"items": list(items), "next": nxt}).encode()


def outcome(fn: Any, data: Any) -> tuple[str, Any]:
    try:
        return ("ok", fn(data, "erp"))
    except PayloadError as exc:
        return ("error", str(exc))


def same(built: BaseModel, validated: BaseModel) -> None:
    assert built == validated
    assert type(built) is type(validated)
    assert built.model_dump_json() == validated.model_dump_json()
    assert repr(built) == repr(validated)
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump(exclude_unset=True) == validated.model_dump(exclude_unset=True)
    assert built.content_hash() == validated.content_hash()  # type: ignore[attr-defined]


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


def test_good_pages_give_the_records_of_the_checked_mapping() -> None:
    fitted = pages.erp_products(page(GOOD_PRODUCT, SPARSE_PRODUCT))
    assert fitted is not None
    records, follow = fitted
    assert follow is None  # the last page
    for (product, token, pid), item in zip(records, (GOOD_PRODUCT, SPARSE_PRODUCT), strict=True):
        checked, checked_token, checked_id = wire.erp_product(item, "erp")
        assert (token, pid) == (checked_token, checked_id)
        same(product, checked)
        for variant, checked_variant in zip(product.variants, checked.variants, strict=True):
            same(variant, checked_variant)
    levels = pages.erp_stock(page(GOOD_STOCK, more=True))
    assert levels is not None and levels[1] == MORE
    level, token, row_id = levels[0][0]
    checked_level, checked_token, checked_row = wire.erp_stock(GOOD_STOCK, "erp")
    assert (token, row_id) == (checked_token, checked_row)
    same(level, checked_level)
    assert level.key == ("SW-7-01", "north")


def test_a_deleted_product_is_discontinued_both_ways() -> None:
    deleted = {**GOOD_PRODUCT, "deleted": True}
    fitted = pages.erp_products(page(deleted))
    assert fitted is not None and fitted[0][0][0].status == "discontinued"
    assert wire.erp_product(deleted, "erp")[0].status == "discontinued"


def test_records_from_a_page_are_frozen_and_own_their_defaults() -> None:
    plain_variant = {"id": 1, "title": "M", "position": 1}
    fitted = pages.erp_products(
        page({**SPARSE_PRODUCT, "variants": [plain_variant, {**plain_variant, "id": 2}]})
    )
    assert fitted is not None
    product = fitted[0][0][0]
    with pytest.raises(ValidationError):
        product.title = "changed"  # type: ignore[misc]
    assert product.model_copy(update={"title": "changed"}).title == "changed"
    first, second = product.variants
    assert first.options == {} and first.options is not second.options
    assert product.custom == {}


def test_an_empty_page_fits() -> None:
    assert pages.erp_products(page()) == ([], None)
    assert pages.erp_stock(page(more=True)) == ([], MORE)


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b'{"items": [], "next": 3}',
        b'{"next": null}',
        b"[]",
        json.dumps({"items": [{**GOOD_STOCK, "sku": "\ud800"}]}).encode(),
        b'{"items": [], "next": null}\xff',
    ],
)
def test_what_does_not_fit_is_left_to_the_checked_mapping(raw: bytes) -> None:
    assert pages.erp_products(raw) is None
    assert pages.erp_stock(raw) is None


def test_a_key_given_twice_counts_once_as_json_reads_it() -> None:
    row = json.dumps(GOOD_STOCK)[1:-1]
    last_bad = f'{{"items": [{{{row}, "quantity": "66"}}]}}'.encode()
    assert json.loads(last_bad)["items"][0]["quantity"] == "66"
    assert pages.erp_stock(last_bad) is None
    last_good = f'{{"quantity": "66", {row}}}'
    fitted = pages.erp_stock(f'{{"items": [{last_good}]}}'.encode())
    assert fitted == ([wire.erp_stock(json.loads(last_good), "erp")], None)


def agree(whole: Any, checked_mapping: Any, item: dict[str, Any]) -> None:
    """The page path gives the checked mapping's record, or nothing when that refuses it."""
    checked = outcome(checked_mapping, item)
    expected = None if checked[0] == "error" else ([checked[1]], None)
    assert whole(page(item)) == expected


@settings(max_examples=400, deadline=None)
@given(mutated(GOOD_PRODUCT, nested="variants"))
def test_products_agree_with_the_checked_mapping(item: dict[str, Any]) -> None:
    agree(pages.erp_products, wire.erp_product, item)


@settings(max_examples=300, deadline=None)
@given(mutated(GOOD_STOCK))
def test_stock_rows_agree_with_the_checked_mapping(item: dict[str, Any]) -> None:
    agree(pages.erp_stock, wire.erp_stock, item)


def read_stock_page(body: bytes) -> tuple[str, Any]:
    """What the back-office client makes of a stock page served with ``body``."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    system = SystemSpec(
        name="erp",
        kind="sandbox-erp",
        url="http://erp.test",
        settings=SandboxErpSettings(),
        secrets={"api_key": "k"},
    )

    async def read() -> tuple[str, Any]:
        source = SandboxErp(system, OpenGate(), transport=transport)
        try:
            found = await source.changed_stock(ChangeQuery(since=None, after=None, limit=10))
            return ("ok", (list(found.items), found.last_key, found.complete))
        except PayloadError as exc:
            return ("error", str(exc))
        finally:
            await source.aclose()

    return anyio.run(read)


def test_odd_items_fall_back_to_the_named_error() -> None:
    bad = {**GOOD_STOCK, "quantity": "66"}
    assert read_stock_page(page(GOOD_STOCK, bad)) == (
        "error",
        "erp: stock row 12: 'quantity' should be an integer, got str",
    )
    assert read_stock_page(page(["not", "an", "object"])) == (
        "error",
        "erp: stock row is not a JSON object",
    )
    good = read_stock_page(page(GOOD_STOCK, more=True))
    assert good == (
        "ok",
        ([wire.erp_stock(GOOD_STOCK, "erp")[0]], ("2026-11-25T22:51:43Z", "12"), False),
    )
