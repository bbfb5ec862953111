"""Pure mapping and parsing: Shopify payloads of the wrong shape, webhook notices, signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace

import pytest

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.registry import webhook_format
from syncwright.connectors.shopify import bulk, wire
from syncwright.connectors.shopify.notices import FORMAT, Echoes, product_digest
from syncwright.connectors.webhooks import Notice


def test_a_payload_of_the_wrong_shape_is_a_payload_error() -> None:
    bad = {"id": "gid://shopify/Order/7", "customer": {"defaultEmailAddress": {"emailAddress": 5}}}
    with pytest.raises(PayloadError, match="order gid://shopify/Order/7"):
        wire.order(bad, "shop")
    with pytest.raises(PayloadError):
        wire.order(["not", "an", "object"], "shop")
    assert wire.product({"id": "gid://shopify/Product/1", "title": "not ours"}, "shop") is None


def test_product_digest_is_what_both_sides_of_an_echo_agree_on() -> None:
    sent = {"title": "T", "status": "ACTIVE", "variants": [{"sku": "B", "price": "17"}]}
    echoes = Echoes()
    echoes.sending(sent)
    back = {"id": 1, "title": "T", "status": "active", "variants": [{"sku": "B", "price": "17.00"}]}
    (echo,) = FORMAT.notices("products/update", back)
    assert echoes.is_echo(echo)  # status case and price form differ, the content does not
    for edit in (
        {"title": "U"},
        {"status": "archived"},
        {"variants": [{"sku": "B", "price": "18"}]},
    ):
        (notice,) = FORMAT.notices("products/update", {**back, **edit})
        assert not echoes.is_echo(notice)
    assert not Echoes().is_echo(echo)  # nothing sent by this process: checked


def test_notices_from_shopify_payloads() -> None:
    product = {
        "id": 1,
        "updated_at": "2026-01-01T00:00:00Z",
        "variants": [{"sku": "B"}, {"sku": "A"}, {"sku": None}],
    }
    # One notice per product: the back office finds the whole product by any of its SKUs.
    (notice,) = FORMAT.notices("products/update", product)
    assert replace(notice, digest=None) == Notice("product", "A", "2026-01-01T00:00:00Z")
    assert notice.digest == product_digest(None, None, [("A", None), ("B", None)])
    level = {"inventory_item_id": 55, "location_id": 1, "available": 3}
    assert FORMAT.notices("inventory_levels/update", level) == [
        Notice(
            "inventory_item",
            "gid://shopify/InventoryItem/55",
            location="gid://shopify/Location/1",
            quantity=3,
        )
    ]
    assert FORMAT.notices("orders/updated", {"id": 9}) == [Notice("order", "9")]
    assert FORMAT.notices("customers/update", {"id": 3}) == [Notice("customer", "3")]
    assert FORMAT.notices("shop/update", {"id": 1}) == []
    for topic, payload in [
        ("products/update", {"id": 1}),
        ("inventory_levels/update", {"inventory_item_id": True}),
        ("orders/create", {"id": ""}),
        ("orders/create", ["x"]),
    ]:
        with pytest.raises(ValueError):
            FORMAT.notices(topic, payload)
    assert webhook_format("shopify") is FORMAT and webhook_format("sandbox-shop") is None


def test_signature_check() -> None:
    body = b'{"id": 1}'
    good = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    assert FORMAT.verify("s3cret", body, {"x-shopify-hmac-sha256": good})
    assert not FORMAT.verify("other", body, {"x-shopify-hmac-sha256": good})
    assert not FORMAT.verify("s3cret", body + b" ", {"x-shopify-hmac-sha256": good})
    assert not FORMAT.verify("s3cret", body, {"x-shopify-hmac-sha256": good[:-4]})
    assert not FORMAT.verify("s3cret", body, {})


def test_bulk_lines_fold_under_their_parents() -> None:
    rows = [
        {"id": "gid://shopify/Product/1", "title": "a"},
        {
            "id": "gid://shopify/ProductVariant/11",
            "sku": "A",
            "__parentId": "gid://shopify/Product/1",
        },
        {"id": "gid://shopify/Product/2", "title": "b"},
        {
            "id": "gid://shopify/ProductVariant/21",
            "sku": "B",
            "__parentId": "gid://shopify/Product/2",
        },
        {
            "id": "gid://shopify/ProductVariant/12",
            "sku": "C",
            "__parentId": "gid://shopify/Product/1",
        },
    ]
    top = bulk.assemble(rows)
    assert [p["title"] for p in top] == ["a", "b"]
    assert [e["node"]["sku"] for e in top[0]["variants"]["edges"]] == ["A", "C"]
    assert "__parentId" not in top[1]["variants"]["edges"][0]["node"]
