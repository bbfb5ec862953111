"""The customers flow against in-memory fakes: two back-office customers sharing an e-mail are
an error on both and neither is linked, unless their account ids tell them apart."""

from __future__ import annotations

from pathlib import Path

import anyio

from syncwright.connectors.base import Capabilities
from syncwright.connectors.model import Customer
from syncwright.daemon.clock import FakeClock
from syncwright.daemon.flows import customers
from syncwright.daemon.flows.context import FlowContext, FlowSettings
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.store.db import Store


class Directory:
    """A customer directory over a list (e-mail look-ups ignore case); records creates."""

    def __init__(self, kind: str, people: list[Customer]) -> None:
        self.kind = kind
        self.capabilities = Capabilities(cursor="time")
        self.people = list(people)
        self.created: list[str] = []

    async def aclose(self) -> None: ...

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        return [
            c
            for c in self.people
            if (email and (c.email or "").lower() == email.lower())
            or (account_id and c.accounting_id == account_id)
        ]

    async def create_customer(self, customer: Customer) -> str:
        new = customer.model_copy(update={"external_id": f"sc_{len(self.people) + 1}"})
        self.people.append(new)
        self.created.append(new.external_id)
        return new.external_id


def push(tmp_path: Path, erp: Directory, shop: Directory) -> tuple[dict[str, str], dict[str, str]]:
    """Push every back-office customer once; (links, sync-log errors)."""

    async def main() -> tuple[dict[str, str], dict[str, str]]:
        store = await Store.open(tmp_path / "state.db")
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                clock = FakeClock()
                ctx = FlowContext(
                    "demo",
                    FlowSettings(),
                    erp,
                    shop,
                    store,
                    Queue(store, clock),
                    clock,  # type: ignore[arg-type]
                )
                outcomes = await customers.push_customers(ctx, erp.people)
                await store.write(customers.record(ctx, outcomes))
                links = await store.fetchall(
                    "SELECT source_id, channel_id FROM links WHERE entity = 'customer'"
                )
                errors = await store.fetchall("SELECT external_id, message FROM sync_errors")
                tg.cancel_scope.cancel()
        finally:
            await store.aclose()
        return {r[0]: r[1] for r in links}, {r[0]: r[1] for r in errors}

    return anyio.run(main)


def test_a_shared_e_mail_links_neither_customer(tmp_path: Path) -> None:
    erp = Directory(
        "erp",
        [
            Customer(external_id="1", email="Ada@example.com"),
            Customer(external_id="2", email="ada@example.com"),
            Customer(external_id="3", email="bob@example.com"),
        ],
    )
    shop = Directory("shop", [Customer(external_id="sc_1", email="ada@example.com")])
    links, errors = push(tmp_path, erp, shop)
    assert links == {"3": "sc_2"}
    assert set(errors) == {"1", "2"}
    assert "shares e-mail Ada@example.com with back-office customer(s) 2" in errors["1"]
    assert "syncwright link demo 1 CHANNEL_CUSTOMER_ID" in errors["1"]
    assert shop.created == ["sc_2"]  # nothing created for either of them


def test_account_ids_tell_customers_with_one_e_mail_apart(tmp_path: Path) -> None:
    erp = Directory(
        "erp",
        [
            Customer(external_id="1", email="desk@firm.example", accounting_id="ACC-1"),
            Customer(external_id="2", email="desk@firm.example", accounting_id="ACC-2"),
        ],
    )
    shop = Directory(
        "shop",
        [
            Customer(external_id="sc_1", email="one@firm.example", accounting_id="ACC-1"),
            Customer(external_id="sc_2", email="two@firm.example", accounting_id="ACC-2"),
        ],
    )
    links, errors = push(tmp_path, erp, shop)
    assert errors == {}
    assert links == {"1": "sc_1", "2": "sc_2"}
