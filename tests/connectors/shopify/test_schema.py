"""Every document the connector sends is valid against Shopify's published schema, and the
emulator refuses invalid ones the way Shopify does."""

from __future__ import annotations

import pytest
from graphql import parse, validate
from shopify_support import TOKEN, post, run, running

from syncwright.connectors.shopify import prices, queries
from syncwright.connectors.shopify.cost import requested_cost
from syncwright.connectors.shopify.emulator.schema import schema
from syncwright.connectors.shopify.versions import SUPPORTED, features

DOCUMENTS = {
    name: getattr(queries, name)
    for name in dir(queries)
    if name.isupper() and not name.endswith(("_FIELDS", "_KEY")) and name != "NAMESPACE"
}
DOCUMENTS["products_by_source(3)"] = queries.products_by_source(3)
DOCUMENTS.update(
    {
        f"prices.{name}": getattr(prices, name)
        for name in ("PRICE_LISTS", "PRICE_LIST_CREATE", "FIXED_PRICES_ADD", "SHOP_CURRENCY")
    }
)


@pytest.mark.parametrize("version", SUPPORTED)
def test_connector_documents_validate_against_the_published_schema(version: str) -> None:
    published = schema(version)
    assert len(published.type_map) > 2000  # the real Admin schema, not a stand-in
    for name, document in DOCUMENTS.items():
        if name == "INVENTORY_SET_IDEMPOTENT" and not features(version).change_from:
            errors = validate(published, parse(document))
            assert any("idempotent" in e.message for e in errors), name
            continue
        if name == "BULK_MUTATIONS_RUNNING" and version < "2026-01":
            errors = validate(published, parse(document))
            assert any("bulkOperations" in e.message for e in errors), name  # not there yet
            continue
        errors = validate(published, parse(document))
        assert errors == [], f"{name} on {version}: {[e.message for e in errors]}"


def test_emulator_rejects_an_invalid_query_with_shopify_shaped_errors() -> None:
    async def main() -> None:
        async with running() as emu:
            response = await post(emu, "{ shop { name noSuchField } }")
            assert response.status_code == 200
            body = response.json()
            assert "data" not in body
            [error] = body["errors"]
            assert "noSuchField" in error["message"]
            assert error["locations"] == [{"line": 1, "column": 15}]
            assert error["extensions"]["code"]
            syntax = (await post(emu, "{ shop { name ")).json()
            assert syntax["errors"][0]["message"].startswith("Syntax Error")
            # A field that exists only in later versions is refused on the earlier one.
            idem = (
                "mutation($i: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $i)"
                ' @idempotent(key: "k") { userErrors { message } } }'
            )
            assert (
                "idempotent"
                in (await post(emu, idem, version="2025-10")).json()["errors"][0]["message"]
            )
            assert emu.stats.invalid == 3

    run(main)


def test_authentication_and_unknown_versions() -> None:
    async def main() -> None:
        async with running() as emu:
            bad = await post(emu, "{ shop { name } }", headers={"X-Shopify-Access-Token": "nope"})
            assert bad.status_code == 401
            assert "Invalid API key or access token" in bad.json()["errors"]
            missing = await post(emu, "{ shop { name } }", headers={})
            assert missing.status_code == 401
            unknown = await post(emu, "{ shop { name } }", version="2019-04")
            assert unknown.status_code == 404
            ok = await post(emu, "{ shop { name currencyCode } }")
            assert ok.json()["data"]["shop"]["currencyCode"] == "EUR"
            assert TOKEN

    run(main)


def test_cost_of_documents() -> None:
    # Scalars are free, objects cost 1, connections 2 + first x node, mutations 10.
    assert requested_cost("{ shop { name } }") == 1
    assert requested_cost("{ products(first: 10) { nodes { id title } } }") == 12
    nested = "{ products(first: 10) { nodes { id variants(first: 5) { nodes { sku } } } } }"
    assert requested_cost(nested) == 2 + 10 * (1 + 2 + 5)
    assert requested_cost("query($n: Int!) { orders(first: $n) { nodes { id } } }", {"n": 3}) == 5
    assert requested_cost(queries.PRODUCT_SET) == 10
