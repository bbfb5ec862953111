"""The default price list on Shopify: found by name, created on connect, kept in step with
every product write.

Shopify's ``priceLists`` query has no name filter, so ``ensure`` pages through the shop's lists
(there are few) and creates the list with ``priceListCreate`` when none has our name: in the
store currency, with a 0 % relative adjustment, so variants without a fixed price on it keep
their own price. ``write`` puts fixed prices on it with ``priceListFixedPricesAdd`` (which adds
or replaces), at most 250 per call. The connector calls it only for products it has just
written, so a product sync with nothing changed writes nothing here either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import anyio

from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.shopify.transport import ShopifyTransport

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


def _describe(errors: object) -> str:
    if not isinstance(errors, list):
        return "no answer"
    return "; ".join(
        f"{'.'.join(str(p) for p in e.get('field') or [])}: {e.get('message')}"
        for e in errors
        if isinstance(e, dict)
    )
