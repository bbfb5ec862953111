"""The back-office contract suite through the rest kind's second example manifest
(connectors/rest/examples/paged.toml) against its own server (paged_server.py): page numbers
with a Link header, OAuth2, epoch change times, flags for archived products, idempotency keys."""

from __future__ import annotations

import tomllib
import warnings
from decimal import Decimal

import anyio
import pytest
from paged_server import MAX_PAGE, PagedServer
from rest_helpers import EXAMPLES, connector

from syncwright.connectors.backoffice_testing import (
    BackOfficeCheckSkipped,
    BackOfficeFixture,
    SeededCustomers,
    SeededProduct,
    check_back_office,
)
from syncwright.connectors.base import AlreadyPosted, OrderTarget
from syncwright.connectors.errors import TransientError
from syncwright.connectors.model import Customer, Order, OrderLine

SECRET = "paged-secret"
pytestmark = pytest.mark.timeout(300)


def paged_fixture(server: PagedServer) -> BackOfficeFixture:
    store = server.store

    async def seed(count: int) -> list[SeededProduct]:
        made = []
        for n in range(count):
            prices = {f"PG-{n}-{v}": Decimal(f"{5 + n % 20}.{v}5") for v in range(2)}
            code = store.add_item(f"Paged item {n}", {s: str(p) for s, p in prices.items()})
            stock = {sku: n + v + 3 for v, sku in enumerate(prices)}
            for sku, quantity in stock.items():
                store.set_stock(sku, "main", quantity)
            made.append(SeededProduct(code, prices, stock))
        return made

    async def edit(code: str) -> None:
        store.touch(code, name="Renamed")

    async def set_stock(sku: str, quantity: int) -> None:
        store.set_stock(sku, "main", quantity)

    async def remove(code: str) -> None:
        store.touch(code, archived=True)

    async def customers() -> SeededCustomers:
        first = store.add_contact("Twin@Example.com")
        second = store.add_contact("twin@example.com")
        store.add_contact("twin@example.com.au")  # a near match the search also returns
        account = store.add_contact("trade@example.com", account="ACC-7")
        return SeededCustomers("twin@example.com", (first, second), "ACC-7", account)

    return BackOfficeFixture(
        location="main",
        seed_products=seed,
        edit_product=edit,
        edit_stock=set_stock,
        remove_product=remove,
        seed_customers=customers,
    )


def test_the_paged_manifest_keeps_the_back_office_contract() -> None:
    with PagedServer(SECRET) as server:

        async def main() -> list[str]:
            source = connector(server.url, "paged.toml", SECRET)
            assert source.capabilities.max_page_size == MAX_PAGE
            fixture = paged_fixture(server)
            try:
                await check_back_office(source, fixture)  # type: ignore[arg-type]
            finally:
                await source.aclose()
            return fixture.skipped

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            skipped = anyio.run(main)
        # One token for the whole suite: it is cached until shortly before it expires.
        assert server.store.tokens_issued == 1
    assert skipped == ["order workflow: the connector is not an OrderWorkflow"]
    warned = [str(w.message) for w in caught if issubclass(w.category, BackOfficeCheckSkipped)]
    assert warned == skipped


def test_an_idempotency_key_alone_recognises_a_repeated_create() -> None:
    # Without the look-up, the server's replay of the first create is what says "posted".
    with PagedServer(SECRET) as server:
        server.store.add_item("Thing", {"TH-1": "3.00"})

        async def main() -> None:
            manifest = tomllib.loads((EXAMPLES / "paged.toml").read_text())
            del manifest["writes"]["orders"]["lookup"]
            source = connector(server.url, manifest, SECRET)
            buyer = Customer(external_id="", email="b@example.com")
            order = Order(
                external_id="WEB-9",
                customer=buyer,
                lines=(OrderLine(sku="TH-1", quantity=1, unit_price=Decimal("3.00")),),
                currency="EUR",
                total=Decimal("3.00"),
            )
            try:
                assert isinstance(source, OrderTarget)
                first = await source.create_order(order, customer_id="C1", channel_ref="WEB-9")
                with pytest.raises(AlreadyPosted) as again:
                    await source.create_order(order, customer_id="C1", channel_ref="WEB-9")
                assert again.value.existing_id == first
            finally:
                await source.aclose()

        anyio.run(main)
        assert len(server.store.orders) == 1


@pytest.mark.parametrize("lookup", [True, False])
def test_a_create_whose_answer_is_lost_is_not_posted_twice(lookup: bool) -> None:
    # The server commits the order and its answer is lost (502): the retry must recognise
    # the order, by the look-up first or by the idempotency key's replay.
    with PagedServer(SECRET) as server:
        server.store.add_item("Thing", {"TH-1": "3.00"})
        server.store.lose_create_answers = 1

        async def main() -> tuple[str, str]:
            manifest = tomllib.loads((EXAMPLES / "paged.toml").read_text())
            if not lookup:
                del manifest["writes"]["orders"]["lookup"]
            source = connector(server.url, manifest, SECRET)
            order = Order(
                external_id="WEB-10",
                customer=Customer(external_id="", email="b@example.com"),
                lines=(OrderLine(sku="TH-1", quantity=1, unit_price=Decimal("3.00")),),
                currency="EUR",
                total=Decimal("3.00"),
            )
            try:
                assert isinstance(source, OrderTarget)
                with pytest.raises(TransientError):
                    await source.create_order(order, customer_id="C1", channel_ref="WEB-10")
                with pytest.raises(AlreadyPosted) as again:
                    await source.create_order(order, customer_id="C1", channel_ref="WEB-10")
                found = await source.find_order("WEB-10") if lookup else again.value.existing_id
                return again.value.existing_id, str(found)
            finally:
                await source.aclose()

        existing, found = anyio.run(main)
        (only,) = server.store.orders
    assert existing == found == only
