"""The JSON kept in Oscar's syncwright_extra attribute: round trip, absence, bad content."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import Product, Variant
from syncwright.connectors.oscar import extra


def _row(value: Any) -> dict[str, Any]:
    return {"attributes": [{"code": "other", "value": "x"}, {"code": extra.CODE, "value": value}]}


def test_everything_oscar_cannot_hold_comes_back() -> None:
    variant = Variant(
        external_id="P1-2",
        sku="P1-2",
        title="Large / red",
        weight_grams=250,
        position=3,
        image_url="https://img.example/p1.jpg",
        options={"Size": "L", "Colour": "red"},
        rrp=Decimal("19.95"),
    )
    product = Product(
        external_id="P1",
        title="Shirt",
        handle="shirt",
        variants=(variant,),
        restock_date=date(2026, 12, 1),
        custom={"material": "cotton"},
    )
    kept = extra.decode(_row(extra.encode(product, variant)), "P1:P1-2", "oscar")
    back_variant = Variant(external_id="P1-2", sku="P1-2", **extra.variant_fields(kept, "w", "s"))
    back = Product(
        external_id="P1",
        title="Shirt",
        handle="shirt",
        variants=(back_variant,),
        **extra.product_fields(kept, "w", "s"),
    )
    assert back.content_hash() == product.content_hash()


def test_defaults_round_trip_and_the_text_is_stable() -> None:
    variant = Variant(external_id="v", sku="s")
    product = Product(external_id="p", title="t", handle="h", variants=(variant,))
    text = extra.encode(product, variant)
    assert text == extra.encode(product, variant.model_copy())
    kept = extra.decode(_row(text), "p:v", "oscar")
    assert Variant(external_id="v", sku="s", **extra.variant_fields(kept, "w", "s")) == variant
    assert extra.product_fields(kept, "w", "s") == {"custom": {}}


@pytest.mark.parametrize("row", [{}, {"attributes": []}, _row(None), _row(""), {"attributes": 3}])
def test_a_product_without_the_attribute_reads_as_nothing_kept(row: dict[str, Any]) -> None:
    assert extra.decode(row, "p:v", "oscar") == {}


@pytest.mark.parametrize("value", ["{not json", "[1, 2]", 42])
def test_bad_attribute_content_is_a_payload_error(value: Any) -> None:
    with pytest.raises(PayloadError, match="syncwright_extra"):
        extra.decode(_row(value), "p:v", "oscar")


def test_bad_rrp_or_restock_date_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="rrp"):
        extra.variant_fields({"rrp": "lots"}, "p:v", "oscar")
    with pytest.raises(PayloadError, match="restock_date"):
        extra.product_fields({"restock_date": "soon"}, "p", "oscar")


def test_an_answer_without_the_attribute_is_noticed() -> None:
    assert extra.held(_row("{}"))
    assert not extra.held({"attributes": [{"code": "other", "value": "x"}]})
    assert not extra.held({})
    assert "syncwright_extra" in extra.missing("plain") and "'plain'" in extra.missing("plain")
