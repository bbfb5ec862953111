"""Customer accounts, store settings and the price list of the sandbox shop."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sales_helpers import customer, product, run, shop_client, stock_the_shop

from syncwright.connectors.base import CustomerDirectory, SettingsSource, SettingsTarget
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Address, StoreSettings
from syncwright.connectors.sandbox.clients.base import ConflictError

if TYPE_CHECKING:
    from tests.connectors.sandbox.conftest import Sandbox


def test_accounts_are_one_per_email_and_found_by_email_or_account(shop: Sandbox) -> None:
    async def flow() -> None:
        channel = shop_client(shop)
        assert isinstance(channel, CustomerDirectory)
        first = await channel.create_customer(customer("Iris.Visser@Example.com"))
        b2b = await channel.create_customer(
            customer("inkoop@kustwinkel.example", accounting_id="ACC-00009", company="Kustwinkel")
        )
        assert (first, b2b) == ("sc_1", "sc_2")
        with pytest.raises(ConflictError) as taken:
            await channel.create_customer(customer("iris.visser@example.COM"))
        assert taken.value.existing_id == "sc_1" and "already taken" in str(taken.value)
        [found] = await channel.find_customers(email="IRIS.VISSER@example.com", account_id=None)
        assert found.external_id == "sc_1" and found.address is not None
        both = await channel.find_customers(email="iris.visser@example.com", account_id="ACC-00009")
        assert [c.external_id for c in both] == ["sc_1", "sc_2"]
        assert both[1].company == "Kustwinkel" and both[1].modified_at is not None
        child = await channel.create_customer(
            customer("filiaal@kustwinkel.example", parent_external_id="sc_2")
        )
        [linked] = await channel.find_customers(email="filiaal@kustwinkel.example", account_id=None)
        assert (child, linked.parent_external_id) == ("sc_3", "sc_2")
        with pytest.raises(PermanentError) as empty:
            await channel.create_customer(customer("x@y.example", address=Address(line1="")))
        assert empty.value.status == 422 and "address line 1 is empty" in str(empty.value)
        with pytest.raises(PermanentError) as unknown:
            await channel.create_customer(customer("z@y.example", parent_external_id="sc_99"))
        assert "unknown parent customer 'sc_99'" in str(unknown.value)
        await channel.aclose()

    run(flow)
    with shop.client() as client:
        pages, query = [], {"limit": 2}
        while True:
            body = client.get("/api/customers/changes", params=query).json()
            pages.append([c["id"] for c in body["items"]])
            if body["next"] is None:
                break
            query.update(body["next"])
        assert pages == [["sc_1", "sc_2"], ["sc_3"]] and query["after_id"] == "sc_2"
        edited = client.patch("/admin/customers/sc_1", json={"last_name": "Visser-Bos"}).json()
        assert edited["last_name"] == "Visser-Bos" and edited["email"] == "Iris.Visser@Example.com"
        assert client.get("/api/customers/sc_9").status_code == 404
        assert client.get("/admin/stats").json()["customers_created"] == 3


def test_settings_take_the_back_office_currency(shop: Sandbox) -> None:
    async def flow() -> tuple[StoreSettings, StoreSettings]:
        channel = shop_client(shop)
        assert isinstance(channel, SettingsSource) and isinstance(channel, SettingsTarget)
        before = await channel.get_settings()
        await channel.set_settings(StoreSettings(currency="EUR", name="Sandbox ERP"))
        after = await channel.get_settings()
        await channel.aclose()
        return before, after

    before, after = run(flow)
    assert before == StoreSettings(currency="USD", name="Sandbox Shop")
    assert after == StoreSettings(currency="EUR", name="Sandbox Shop")  # the name stays its own
    with shop.client() as client:
        refused = client.put("/api/settings", json={"currency": "eur"})
        assert refused.status_code == 422 and "three-letter" in refused.json()["error"]
        placed = client.post(
            "/admin/orders",
            json={
                "customer": {"email": "a@b.example"},
                "lines": [{"sku": "X", "quantity": 1, "unit_price": "1.00"}],
            },
        ).json()
        assert placed["currency"] == "EUR"


def test_the_price_list_counts_the_prices_written_with_products(shop: Sandbox) -> None:
    with shop.client() as client:
        assert client.get("/api/price-lists").json() == {
            "items": [{"name": "Sandbox Price", "currency": "USD", "entries": 0}]
        }
    stock_the_shop(shop, product("1", "P-1", "P-2"), product("2", "Q-1"))
    with shop.client() as client:
        [row] = client.get("/api/price-lists").json()["items"]
        assert (row["name"], row["entries"]) == ("Sandbox Price", 3)
