"""The default price list ("Shopify Price") on the emulator, through the connector."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anyio
from shopify_support import channel, post, run, running

from syncwright.connectors.shopify.emulator.app import Emulator
from syncwright.connectors.testing import sample_products

LIST_PRICES = """query($id: ID!) { priceList(id: $id) { name currency fixedPricesCount
  prices(first: 250) { nodes { price { amount currencyCode } variant { sku } } } } }"""
CREATE = """mutation($input: PriceListCreateInput!) { priceListCreate(input: $input) {
  priceList { id } userErrors { field code message } } }"""
ADD = """mutation($id: ID!, $prices: [PriceListPriceInput!]!) {
  priceListFixedPricesAdd(priceListId: $id, prices: $prices) {
    prices { variant { id } } userErrors { field code message } } }"""


async def fixed_prices(emu: Emulator, list_id: str) -> dict[str, Decimal]:
    body = (await post(emu, LIST_PRICES, {"id": list_id})).json()
    assert "errors" not in body, body
    nodes = body["data"]["priceList"]["prices"]["nodes"]
    return {n["variant"]["sku"]: Decimal(n["price"]["amount"]) for n in nodes}


def test_list_is_created_once_and_follows_product_writes() -> None:
    async def main() -> None:
        async with running() as emu:
            shop = channel(emu)
            list_id = await shop.ensure_price_list("Shopify Price")
            assert [r["name"] for r in emu.shop.price_lists.values()] == ["Shopify Price"]
            assert next(iter(emu.shop.price_lists.values()))["currency"] == emu.shop.currency
            # A second connector (a restarted daemon) finds the list instead of creating one.
            again = channel(emu)
            assert await again.ensure_price_list("Shopify Price") == list_id
            assert len(emu.shop.price_lists) == 1

            products = sample_products("PL", 3)
            results = await again.upsert_products(products)
            assert all(r.ok for r in results), results
            want = {v.sku: v.price for p in products for v in p.variants}
            assert await fixed_prices(emu, list_id) == want

            # A price change travels to the list with the product write.
            first = products[0]
            cheaper = first.variants[0].model_copy(update={"price": Decimal("7.25")})
            changed = first.model_copy(update={"variants": (cheaper, *first.variants[1:])})
            before = again.t.calls
            [result] = await again.upsert_products([changed])
            assert result.ok, result
            assert again.t.calls - before == 2  # productSet + one priceListFixedPricesAdd
            assert (await fixed_prices(emu, list_id))[cheaper.sku or ""] == Decimal("7.25")
            # Nothing to write, nothing sent.
            before = again.t.calls
            assert await again.upsert_products([]) == []
            assert again.t.calls == before
            await shop.aclose()
            await again.aclose()

    run(main)


def test_price_list_user_errors() -> None:
    async def main() -> None:
        async with running() as emu:
            shop = channel(emu)
            list_id = await shop.ensure_price_list("Shopify Price")
            await shop.upsert_products(sample_products("UE", 1))
            variant = next(iter(emu.shop.variants.values()))
            vid = f"gid://shopify/ProductVariant/{variant['id']}"

            async def errors(query: str, variables: dict[str, Any], root: str) -> list[str]:
                body = (await post(emu, query, variables)).json()
                assert "errors" not in body, body
                return [e["code"] for e in body["data"][root]["userErrors"]]

            adjust = {"adjustment": {"type": "PERCENTAGE_DECREASE", "value": 0}}
            taken = {"name": "Shopify Price", "currency": "EUR", "parent": adjust}
            assert await errors(CREATE, {"input": taken}, "priceListCreate") == ["TAKEN"]
            bad = {**taken, "name": "Other", "parent": {"adjustment": {**adjust["adjustment"]}}}
            bad["parent"]["adjustment"]["value"] = 150
            assert await errors(CREATE, {"input": bad}, "priceListCreate") == [
                "INVALID_ADJUSTMENT_MAX_VALUE"
            ]
            usd = [{"variantId": vid, "price": {"amount": "1.00", "currencyCode": "USD"}}]
            add = "priceListFixedPricesAdd"
            assert await errors(ADD, {"id": list_id, "prices": usd}, add) == [
                "PRICE_LIST_CURRENCY_MISMATCH"
            ]
            ghost = [
                {"variantId": "gid://shopify/ProductVariant/9", "price": usd[0]["price"]},
            ]
            ghost[0]["price"] = {"amount": "1.00", "currencyCode": "EUR"}
            assert await errors(ADD, {"id": list_id, "prices": ghost}, add) == ["VARIANT_NOT_FOUND"]
            none = {"id": "gid://shopify/PriceList/1", "prices": []}
            assert await errors(ADD, none, add) == ["PRICE_LIST_NOT_FOUND"]
            # Refused input changes nothing.
            assert next(iter(emu.shop.price_lists.values()))["prices"] == {
                v["id"]: (v["price"], None) for v in emu.shop.variants.values()
            }
            await shop.aclose()

    run(main)


def test_batches_written_side_by_side_create_one_list() -> None:
    async def main() -> None:
        async with running() as emu:
            shop = channel(emu)  # never asked to ensure: the first writes find or create it
            batches = [sample_products(f"B{n}", 2) for n in range(4)]
            outcomes: list[Any] = []

            async def write(batch: Any) -> None:
                outcomes.extend(await shop.upsert_products(batch))

            async with anyio.create_task_group() as tg:
                for batch in batches:
                    tg.start_soon(write, batch)
            assert len(outcomes) == 8 and all(r.ok for r in outcomes), outcomes
            assert [r["name"] for r in emu.shop.price_lists.values()] == ["Shopify Price"]
            [row] = emu.shop.price_lists.values()
            assert len(row["prices"]) == 16
            await shop.aclose()

    run(main)
