"""The back-office contract suite itself: it passes a source that keeps the contract, names
what it skipped, and fails a source that breaks a promise (an exclusive ``since``, an edit
that does not move the change token)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from decimal import Decimal

import anyio
import pytest

from syncwright.connectors.backoffice_testing import (
    BackOfficeCheckSkipped,
    BackOfficeFixture,
    SeededProduct,
    check_back_office,
)
from syncwright.connectors.base import Capabilities, ChangeQuery, ListQuery, Page
from syncwright.connectors.model import Product, StockLevel, Variant


class MemorySource:
    """A source in memory with a change counter for a clock; page size 5."""

    kind = "memory"
    capabilities = Capabilities(cursor="time", max_page_size=5)

    def __init__(self, *, exclusive_since: bool = False, edits_move_token: bool = True) -> None:
        self.exclusive_since = exclusive_since
        self.edits_move_token = edits_move_token
        self.clock = 0
        self.products: dict[str, tuple[str, Product]] = {}
        self.stock: dict[str, tuple[str, int]] = {}

    def tick(self) -> str:
        self.clock += 1
        return f"{self.clock:06d}"

    async def aclose(self) -> None:
        return None

    def _changes(self, rows: dict[str, tuple[str, object]], query: ChangeQuery) -> Page[object]:
        keys = sorted((token, key) for key, (token, _) in rows.items())
        if query.since is not None:
            keys = [
                k
                for k in keys
                if k[0] > query.since or (k[0] == query.since and not self.exclusive_since)
            ]
        if query.after is not None:
            keys = [k for k in keys if k > query.after]
        page = keys[: query.limit]
        return Page(
            [rows[k][1] for _, k in page], page[-1] if page else None, len(keys) <= query.limit
        )

    def _listing(self, rows: dict[str, tuple[str, object]], query: ListQuery) -> Page[object]:
        keys = sorted(k for k in rows if query.after is None or k > query.after)
        page = keys[: query.limit]
        last = (page[-1], page[-1]) if page else None
        return Page([rows[k][1] for k in page], last, len(keys) <= query.limit)

    def _levels(self) -> dict[str, tuple[str, object]]:
        return {
            s: (t, StockLevel(sku=s, location="main", quantity=q))
            for s, (t, q) in self.stock.items()
        }

    async def changed_products(self, query: ChangeQuery) -> Page[Product]:
        return self._changes(dict(self.products), query)  # type: ignore[return-value]

    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]:
        return self._changes(self._levels(), query)  # type: ignore[return-value]

    async def list_products(self, query: ListQuery) -> Page[Product]:
        return self._listing(dict(self.products), query)  # type: ignore[return-value]

    async def list_stock(self, query: ListQuery) -> Page[StockLevel]:
        return self._listing(self._levels(), query)  # type: ignore[return-value]

    async def get_product(self, id_or_sku: str) -> Product | None:
        for _, product in self.products.values():
            if id_or_sku == product.external_id or id_or_sku in {v.sku for v in product.variants}:
                return product
        return None

    async def get_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        levels = self._levels()
        return [levels[s][1] for s in skus if s in levels]  # type: ignore[misc]


def memory_fixture(source: MemorySource) -> BackOfficeFixture:
    async def seed(count: int) -> list[SeededProduct]:
        made = []
        for n in range(count):
            pid, skus = f"p{n:03d}", [f"M-{n}-S", f"M-{n}-M"]
            prices = {s: Decimal(f"{n + 1}.{v}0") for v, s in enumerate(skus)}
            variants = tuple(Variant(external_id=s, sku=s, price=p) for s, p in prices.items())
            product = Product(external_id=pid, title=f"P {n}", handle=pid, variants=variants)
            source.products[pid] = (source.tick(), product)
            stock = {s: n + v + 1 for v, s in enumerate(skus)}
            source.stock.update({s: (source.tick(), q) for s, q in stock.items()})
            made.append(SeededProduct(pid, prices, stock))
        return made

    async def edit(product_id: str) -> None:
        token, product = source.products[product_id]
        token = source.tick() if source.edits_move_token else token
        source.products[product_id] = (token, product.model_copy(update={"title": "Edited"}))

    async def set_stock(sku: str, quantity: int) -> None:
        source.stock[sku] = (source.tick(), quantity)

    async def remove(product_id: str) -> None:
        _, product = source.products[product_id]
        source.products[product_id] = (
            source.tick(),
            product.model_copy(update={"status": "discontinued"}),
        )

    return BackOfficeFixture(
        location="main",
        seed_products=seed,
        edit_product=edit,
        edit_stock=set_stock,
        remove_product=remove,
    )


def test_a_source_that_keeps_the_contract_passes_and_names_what_it_skipped() -> None:
    source = MemorySource()
    fixture = memory_fixture(source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        anyio.run(check_back_office, source, fixture)
    assert fixture.skipped == [
        "ProductIdLister: the connector does not list product ids",
        "customers: the connector is not a CustomerDirectory",
        "orders: the connector is not an OrderTarget",
    ]
    warned = [str(w.message) for w in caught if issubclass(w.category, BackOfficeCheckSkipped)]
    assert warned == fixture.skipped
    assert len(source.products) == 6  # one over the page of 5


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"exclusive_since": True}, "is not inclusive"),
        ({"edits_move_token": False}, "edited after the cursor is not in the feed"),
    ],
)
def test_a_broken_change_feed_fails(broken: dict[str, bool], message: str) -> None:
    source = MemorySource(**broken)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BackOfficeCheckSkipped)
        with pytest.raises(AssertionError, match=message):
            anyio.run(check_back_office, source, memory_fixture(source))
