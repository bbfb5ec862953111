"""The default price list on Shopify: found by name, created on connect, kept in step with
every product write.

Shopify's ``priceLists`` query has no name filter, so ``ensure`` pages through the shop's lists
(there are few) and creates the list with ``priceListCreate`` when none has our name: in the
store currency, with a 0 % relative adjustment, so variants without a fixed price on it keep
their own price. ``write`` puts fixed prices on it with ``priceListFixedPricesAdd`` (which adds
or replaces), at most 250 per call. The connector calls it only for products it has just
written, so a product sync with nothing changed writes nothing here either.

A product write is two calls (``productSet``, then the list), so it can be left half done (the
second call failed, or the daemon died between them). ``fixed_prices`` lets the connector's
read-back carry the list's price, so verification compares everything a write changes and
finishes such a write instead of recording the product as in sync.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import anyio

from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.model import Product
from syncwright.connectors.shopify.transport import ShopifyTransport
from syncwright.connectors.shopify.wire import legacy_id

PER_CALL = 250

PRICE_LISTS = """
query PriceLists($first: Int!, $after: String) {
  priceLists(first: $first, after: $after) {
    nodes { id name currency }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PRICE_LIST_CREATE = """
mutation PriceListCreate($input: PriceListCreateInput!) {
  priceListCreate(input: $input) {
    priceList { id name currency }
    userErrors { field code message }
  }
}
"""

FIXED_PRICES_ADD = """
mutation FixedPricesAdd($priceListId: ID!, $prices: [PriceListPriceInput!]!) {
  priceListFixedPricesAdd(priceListId: $priceListId, prices: $prices) {
    prices { variant { id } }
    userErrors { field code message }
  }
}
"""

SHOP_CURRENCY = "query ShopCurrency { shop { currencyCode } }"

FIXED_PRICES = """
query FixedPrices($id: ID!, $first: Int!, $after: String, $query: String) {
  priceList(id: $id) {
    prices(first: $first, after: $after, originType: FIXED, query: $query) {
      nodes { variant { id } price { amount } compareAtPrice { amount } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
#: Products per FixedPrices search, so the query string stays short.
PRODUCTS_PER_SEARCH = 50
#: Prices per FixedPrices page: about 4 points each, well under the 1,000-point query limit.
PRICES_PAGE = 100

Fixed = dict[str, tuple[Decimal | None, Decimal | None]]


@dataclass(frozen=True, slots=True)
class ListRef:
    id: str
    currency: str


class PriceList:
    """One named list of one shop; ``ref`` is known after ``ensure``."""

    def __init__(self, transport: ShopifyTransport, name: str) -> None:
        self.t = transport
        self.name = name
        self.ref: ListRef | None = None
        #: Product batches written side by side must not each create the list.
        self._lock = anyio.Lock()

    async def ensure(self) -> ListRef:
        async with self._lock:
            if self.ref is None:
                self.ref = await self._find() or await self._create()
            return self.ref

    async def _find(self) -> ListRef | None:
        after: str | None = None
        while True:
            data = await self.t.call(PRICE_LISTS, {"first": 50, "after": after})
            conn = data.get("priceLists")
            if not isinstance(conn, dict) or not isinstance(conn.get("nodes"), list):
                raise PayloadError("priceLists answer without nodes", system=self.t.system)
            for node in conn["nodes"]:
                if isinstance(node, dict) and node.get("name") == self.name:
                    return ListRef(str(node["id"]), str(node["currency"]))
            page = conn.get("pageInfo") or {}
            after = page.get("endCursor")
            if not page.get("hasNextPage") or not after:
                return None

    async def _create(self) -> ListRef:
        shop = (await self.t.call(SHOP_CURRENCY)).get("shop")
        currency = shop.get("currencyCode") if isinstance(shop, dict) else None
        if not isinstance(currency, str):
            raise PayloadError("shop answer without currencyCode", system=self.t.system)
        payload = {
            "name": self.name,
            "currency": currency,
            "parent": {"adjustment": {"type": "PERCENTAGE_DECREASE", "value": 0}},
        }
        data = await self.t.call(PRICE_LIST_CREATE, {"input": payload})
        answer = data.get("priceListCreate") or {}
        created = answer.get("priceList")
        if answer.get("userErrors") or not isinstance(created, dict):
            raise PermanentError(
                f"priceListCreate {self.name!r} refused: {_describe(answer.get('userErrors'))}",
                system=self.t.system,
            )
        return ListRef(str(created["id"]), str(created["currency"]))

    async def write(self, prices: Sequence[tuple[str, Decimal, Decimal | None]]) -> list[str]:
        """Fixed (variant gid, price, compare-at price) entries; returns the refusals."""
        if not prices:
            return []
        ref = await self.ensure()
        refusals: list[str] = []
        for start in range(0, len(prices), PER_CALL):
            rows = [
                {
                    "variantId": vid,
                    "price": {"amount": str(price), "currencyCode": ref.currency},
                    **(
                        {}
                        if rrp is None
                        else {"compareAtPrice": {"amount": str(rrp), "currencyCode": ref.currency}}
                    ),
                }
                for vid, price, rrp in prices[start : start + PER_CALL]
            ]
            data = await self.t.call(FIXED_PRICES_ADD, {"priceListId": ref.id, "prices": rows})
            answer = data.get("priceListFixedPricesAdd")
            if not isinstance(answer, dict):
                raise PayloadError("priceListFixedPricesAdd answer missing", system=self.t.system)
            if answer.get("userErrors"):
                refusals.append(_describe(answer["userErrors"]))
        return refusals

    async def fixed_prices(self, product_ids: Sequence[str], expected: int) -> Fixed:
        """The list's fixed (price, compare-at price) by variant gid, for the variants of the
        products with these numeric ids. ``expected`` (their variant count) sizes the pages,
        so a read costs what it returns."""
        if not product_ids:
            return {}
        ref = await self.ensure()
        found: Fixed = {}
        first = max(1, min(PRICES_PAGE, expected))
        for start in range(0, len(product_ids), PRODUCTS_PER_SEARCH):
            part = product_ids[start : start + PRODUCTS_PER_SEARCH]
            search = " OR ".join(f"product_id:{pid}" for pid in part)
            after: str | None = None
            while True:
                data = await self.t.call(
                    FIXED_PRICES, {"id": ref.id, "first": first, "after": after, "query": search}
                )
                held = data.get("priceList")
                if held is None:  # deleted behind our back: found again (or made) next time
                    self.ref = None
                    return found
                conn = held.get("prices") if isinstance(held, dict) else None
                if not isinstance(conn, dict) or not isinstance(conn.get("nodes"), list):
                    raise PayloadError(
                        "priceList prices answer without nodes", system=self.t.system
                    )
                for node in conn["nodes"]:
                    variant = node.get("variant") if isinstance(node, dict) else None
                    if isinstance(variant, dict) and isinstance(variant.get("id"), str):
                        found[variant["id"]] = (
                            _amount(node.get("price")),
                            _amount(node.get("compareAtPrice")),
                        )
                page = conn.get("pageInfo") or {}
                after = page.get("endCursor")
                if not page.get("hasNextPage") or not after:
                    break
        return found


async def with_list_prices(
    price_list: PriceList, found: dict[str, Product], nodes: Mapping[str, Any]
) -> dict[str, Product]:
    """The products as a buyer of the default price list sees them: a variant with a fixed
    price there reads back with that price (and compare-at price). A list left behind by a
    half-done write then differs from the source, and verification writes it again."""
    gids = {pid: _variant_gids(node) for pid, node in nodes.items()}
    count = sum(len(v) for v in gids.values())
    if not count:
        return found
    ids = [legacy_id(str(nodes[pid].get("id"))) for pid in found]
    fixed = await price_list.fixed_prices(ids, count)
    out: dict[str, Product] = {}
    for pid, product in found.items():
        variants = []
        for variant in product.variants:
            entry = fixed.get(gids[pid].get(variant.sku or "", ""))
            if entry is not None and entry != (variant.price, variant.rrp):
                variant = variant.model_copy(update={"price": entry[0], "rrp": entry[1]})
            variants.append(variant)
        out[pid] = product.model_copy(update={"variants": tuple(variants)})
    return out


def _variant_gids(node: Mapping[str, Any]) -> dict[str, str]:
    """SKU -> variant gid of a product node (list prices are written by SKU, too)."""
    raw = node.get("variants")
    items = raw.get("nodes") if isinstance(raw, dict) else None
    return {
        str(n["sku"]): str(n["id"])
        for n in items or []
        if isinstance(n, dict) and n.get("sku") and n.get("id")
    }


def _amount(money: object) -> Decimal | None:
    if not isinstance(money, dict) or money.get("amount") is None:
        return None
    try:
        return Decimal(str(money["amount"]))
    except ArithmeticError:
        return None


def _describe(errors: object) -> str:
    if not isinstance(errors, list):
        return "no answer"
    return "; ".join(
        f"{'.'.join(str(p) for p in e.get('field') or [])}: {e.get('message')}"
        for e in errors
        if isinstance(e, dict)
    )
