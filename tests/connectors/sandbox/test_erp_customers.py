"""The sandbox back office's customers: the seeded flaws, search, validation, change pages."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from sales_helpers import ADDRESS, customer, erp_client, run

from syncwright.connectors.base import ChangeQuery, CustomerDirectory, CustomerSource, ListQuery
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Address, Customer
from syncwright.connectors.sandbox.clients.base import ConflictError
from syncwright.connectors.sandbox.erp.seed_customers import LEGACY_ADDRESS_ID, SHARED_EMAIL_IDS

if TYPE_CHECKING:
    from tests.connectors.sandbox.conftest import Sandbox


def test_the_seeded_duplicate_email_makes_a_search_ambiguous(erp: Sandbox) -> None:
    with erp.client() as client:
        first = client.get(f"/api/customers/{SHARED_EMAIL_IDS[0]}").json()
        second = client.get(f"/api/customers/{SHARED_EMAIL_IDS[1]}").json()
        assert first["email"] != second["email"]  # differently written...
        assert first["email"].lower() == second["email"].lower()  # ...one address
        found = client.get("/api/customers/search", params={"email": first["email"].upper()})
        assert [c["id"] for c in found.json()["items"]] == list(SHARED_EMAIL_IDS)
        assert client.get("/api/customers/search").status_code == 400

    async def look() -> list[Customer]:
        source = erp_client(erp)
        assert isinstance(source, CustomerDirectory) and isinstance(source, CustomerSource)
        assert await source.find_customers(email=None, account_id=None) == []
        assert await source.find_customers(email="nobody@example.com", account_id=None) == []
        matches = await source.find_customers(email=f"  {first['email']}", account_id=None)
        await source.aclose()
        return matches

    matches = run(look)
    assert [c.external_id for c in matches] == ["1", "2"]
    assert matches[0].first_name == matches[1].first_name


def test_b2b_customers_carry_their_extras_and_can_be_found_by_account(erp: Sandbox) -> None:
    async def pull() -> tuple[list[Customer], list[Customer]]:
        source = erp_client(erp)
        page = await source.list_customers(ListQuery(after=None, limit=1000))
        assert page.complete and len(page.items) == 50
        b2b = [c for c in page.items if c.accounting_id]
        by_account = await source.find_customers(email=None, account_id=b2b[0].accounting_id)
        await source.aclose()
        return list(page.items), by_account

    everyone, by_account = run(pull)
    b2b = [c for c in everyone if c.accounting_id]
    assert len(b2b) >= 5 and all(c.company and c.group and c.price_lists for c in b2b)
    assert all(c.discount_percent is not None and c.discount_percent > 0 for c in b2b)
    assert any(c.pays_on_account for c in b2b) and any(c.parent_external_id for c in b2b)
    ids = {c.external_id for c in everyone}
    assert all(c.parent_external_id in ids for c in b2b if c.parent_external_id)
    assert [c.external_id for c in by_account] == [b2b[0].external_id]
    legacy = everyone[LEGACY_ADDRESS_ID - 1]
    assert legacy.address is not None and legacy.address.line1 == "" and legacy.address.city
    assert all(c.modified_at is not None for c in everyone)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"first_name": "No", "last_name": "Mail"}, "e-mail is required"),
        ({"email": "   "}, "e-mail is required"),
        ({"email": "not-an-address"}, "e-mail 'not-an-address' is not a well-formed address"),
        ({"email": "a@b.nl", "address": {"line1": " ", "city": "Gent"}}, "address line 1 is empty"),
        ({"email": "a@b.nl", "address": {"street": "x"}}, "'address' has unknown fields"),
        ({"email": "a@b.nl", "discount_percent": "150"}, "'discount_percent' must be at most 100"),
        ({"email": "a@b.nl", "parent_id": 99999}, "unknown parent customer 99999"),
        ({"email": "a@b.nl", "pays_on_account": "yes"}, "'pays_on_account' must be true or false"),
    ],
)
def test_creating_a_customer_is_validated(erp: Sandbox, body: dict[str, Any], message: str) -> None:
    with erp.client() as client:
        response = client.post("/api/customers", json=body)
    assert response.status_code == 422
    assert message in response.json()["error"]


def test_create_through_the_client(erp: Sandbox) -> None:
    async def create() -> None:
        source = erp_client(erp)
        new = customer(
            "Fresh.Buyer@Example.com",
            company="Kustwinkel",
            accounting_id="ACC-NEW",
            price_lists=("Wholesale",),
            discount_percent=Decimal("7.5"),
            pays_on_account=True,
            parent_external_id="4",
        )
        created = await source.create_customer(new)
        assert created == "51"
        [found] = await source.find_customers(email="fresh.buyer@example.com", account_id=None)
        assert found.model_copy(update={"modified_at": None}) == new.model_copy(
            update={"external_id": "51"}
        )
        with pytest.raises(PermanentError) as refused:
            await source.create_customer(customer(address=Address(line1="", city="Gent")))
        assert refused.value.status == 422 and "address line 1 is empty" in str(refused.value)
        with pytest.raises(ConflictError) as taken:
            await source.create_customer(customer("other@example.com", accounting_id="ACC-NEW"))
        assert taken.value.existing_id == "51"
        with pytest.raises(PermanentError, match="not a back-office id"):
            await source.create_customer(customer(parent_external_id="sc_4"))
        await source.aclose()

    run(create)


def test_customer_changes_page_by_the_compound_key_and_see_admin_edits(erp: Sandbox) -> None:
    async def pull(since: str | None, limit: int) -> list[tuple[str, str]]:
        source = erp_client(erp)
        keys: list[tuple[str, str]] = []
        after = None
        while True:
            page = await source.changed_customers(
                ChangeQuery(since=since, after=after, limit=limit)
            )
            if page.items:
                assert page.last_key is not None and page.last_key[1] == page.items[-1].external_id
            keys += [
                (c.modified_at.strftime("%Y-%m-%dT%H:%M:%SZ"), c.external_id)
                for c in page.items
                if c.modified_at
            ]
            after = page.last_key
            if page.complete:
                await source.aclose()
                return keys

    keys = run(lambda: pull(None, 7))
    assert len(keys) == len(set(keys)) == 50
    assert keys == sorted(keys, key=lambda k: (k[0], int(k[1])))
    assert len({stamp for stamp, _ in keys}) < 50  # imported in batches sharing a second
    latest = keys[-1][0]
    with erp.client() as client:
        client.post("/admin/clock", json={"offset_seconds": 90}).raise_for_status()
        edited = client.patch("/admin/customers/5", json={"company": "Nieuw BV"}).json()
        assert edited["modified_at"] > latest and edited["company"] == "Nieuw BV"
        planted = client.post(
            "/admin/customers", json={"email": "legacy", "address": {"line1": ""}}
        )
        assert planted.status_code == 201  # admin writes skip the rules, as old imports did
    assert [k[1] for k in run(lambda: pull(edited["modified_at"], 100))] == ["5", "51"]


def test_address_round_trips(erp: Sandbox) -> None:
    async def create() -> list[Customer]:
        source = erp_client(erp)
        created = await source.create_customer(customer("round@trip.example"))
        page = await source.list_customers(ListQuery(after="50", limit=10))
        await source.aclose()
        return [c for c in page.items if c.external_id == created]

    [found] = run(create)
    assert found.address == ADDRESS and found.email == "round@trip.example"
