"""Orders as invoices: posted once (idempotency key, look-up by Reference), contacts by id
only, amendments of drafts, notes on authorised invoices, shipments as history."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import anyio
import pytest
from xero_support import items, running

from syncwright.connectors.base import AlreadyPosted
from syncwright.connectors.errors import PermanentError, TransientError
from syncwright.connectors.model import Customer, Order, OrderLine, Product, Shipment, Variant


def order(ref: str, *lines: tuple[str, int], status: str = "open") -> Order:
    return Order(
        external_id=ref,
        customer=Customer(external_id="c1", email="ann@example.test", first_name="Ann"),
        lines=tuple(OrderLine(sku=s, quantity=q, unit_price=Decimal("9.5")) for s, q in lines),
        currency="NZD",
        total=Decimal("19"),
        status=status,
    )


def test_an_order_posts_as_one_invoice_naming_the_contact_by_id_only(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            await xero.control("items", items(2))
            books = xero.connector()
            customer = Customer(external_id="c1", email="ann@example.test", first_name="Ann")
            contact_id = await books.create_customer(customer)
            contact_before = dict(xero.emulator.books.contacts[contact_id])
            assert await books.find_order("SO-1") is None
            invoice_id = await books.create_order(
                order("SO-1", ("SKU-00000", 2)), customer_id=contact_id, channel_ref="SO-1"
            )
            assert await books.find_order("SO-1") == invoice_id
            invoice = xero.emulator.books.invoices[invoice_id]
            assert invoice["Reference"] == "SO-1" and invoice["Status"] == "DRAFT"
            assert invoice["LineItems"][0]["ItemCode"] == "SKU-00000"
            # The contact was not touched by the invoice.
            assert xero.emulator.books.contacts[contact_id] == contact_before
            # A second create looks first: AlreadyPosted with the invoice, nothing posted.
            with pytest.raises(AlreadyPosted) as posted:
                await books.create_order(
                    order("SO-1", ("SKU-00000", 2)), customer_id=contact_id, channel_ref="SO-1"
                )
            assert posted.value.existing_id == invoice_id
            # Two daemons racing (both looked, found nothing, create): the idempotency key
            # gives the second the first one's invoice.
            other = xero.connector()
            assert await books.find_order("SO-2") is None
            assert await other.find_order("SO-2") is None
            first = await books.create_order(
                order("SO-2", ("SKU-00000", 1)), customer_id=contact_id, channel_ref="SO-2"
            )
            second = await other.create_order(
                order("SO-2", ("SKU-00000", 1)), customer_id=contact_id, channel_ref="SO-2"
            )
            assert first == second and len(xero.emulator.books.invoices) == 2
            await other.aclose()
            await books.aclose()

    anyio.run(main)


def test_a_create_that_times_out_after_xero_committed_is_not_posted_twice(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            await xero.control("items", items(1))
            books = xero.connector(timeout=0.5)
            contact_id = await books.create_customer(Customer(external_id="c", email="a@b.test"))
            assert await books.find_order("SO-9") is None  # the daemon looks first
            await xero.control("faults", {"hang_after_commit_next": 1, "hang_seconds": 2})
            with pytest.raises(TransientError):
                await books.create_order(
                    order("SO-9", ("SKU-00000", 1)), customer_id=contact_id, channel_ref="SO-9"
                )
            # The daemon's retry looks up first and finds it; a create is refused.
            found = await books.find_order("SO-9")
            with pytest.raises(AlreadyPosted) as posted:
                await books.create_order(
                    order("SO-9", ("SKU-00000", 1)), customer_id=contact_id, channel_ref="SO-9"
                )
            assert posted.value.existing_id == found and len(xero.emulator.books.invoices) == 1
            await books.aclose()

    anyio.run(main)


def test_drafts_are_amended_and_authorised_invoices_get_a_note_and_an_error(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            await xero.control("items", items(2))
            drafts = xero.connector()
            contact_id = await drafts.create_customer(Customer(external_id="c", email="a@b.test"))
            draft = await drafts.create_order(
                order("SO-2", ("SKU-00000", 1)), customer_id=contact_id, channel_ref="SO-2"
            )
            await drafts.amend_order(draft, order("SO-2", ("SKU-00001", 3)))
            lines = xero.emulator.books.invoices[draft]["LineItems"]
            assert [(x["ItemCode"], x["Quantity"]) for x in lines] == [("SKU-00001", 3)]
            final = xero.connector(invoice_status="AUTHORISED")
            authorised = await final.create_order(
                order("SO-3", ("SKU-00000", 1)), customer_id=contact_id, channel_ref="SO-3"
            )
            with pytest.raises(PermanentError, match="AUTHORISED"):
                await final.amend_order(authorised, order("SO-3", ("SKU-00000", 5)))
            notes = xero.emulator.books.history[authorised]
            assert "SO-3" in notes[0]["Details"]
            assert xero.emulator.books.invoices[authorised]["LineItems"][0]["Quantity"] == 1
            # Shipments are history notes, found again by their tag.
            shipment = Shipment(external_id="F1", lines=(("SKU-00000", 1),), carrier="NZ Post")
            assert not await final.has_shipment(authorised, "F1")
            await final.add_shipment(authorised, shipment)
            assert await final.has_shipment(authorised, "F1")
            # Cancelling a draft deletes it.
            await drafts.amend_order(draft, order("SO-2", ("SKU-00001", 3), status="cancelled"))
            assert xero.emulator.books.invoices[draft]["Status"] == "DELETED"
            await drafts.aclose()
            await final.aclose()

    anyio.run(main)


def test_a_contact_name_taken_links_only_a_matching_contact(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            books = xero.connector()
            ann = Customer(external_id="c1", email="ann@example.test", first_name="Ann")
            first = await books.create_customer(ann)
            # Same name and e-mail (a retried create whose answer was lost): the same contact.
            assert (
                await books.create_customer(ann.model_copy(update={"external_id": "c2"})) == first
            )
            # The name is taken by a contact with another e-mail: an error, never a duplicate.
            xero.emulator.books.contacts[first]["EmailAddress"] = "someone@else.test"
            with pytest.raises(PermanentError, match="already assigned"):
                await books.create_customer(ann.model_copy(update={"external_id": "c3"}))
            assert len(xero.emulator.books.contacts) == 1
            await books.aclose()

    anyio.run(main)


def test_an_item_missing_at_sale_time_is_created_once(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path) as xero:
            books = xero.connector()
            product = Product(
                external_id="p",
                title="A new thing",
                handle="new",
                variants=(Variant(external_id="v", sku="NEW-1", price=Decimal("3")),),
            )
            made = await books.create_product(product)
            assert await books.create_product(product) == made
            assert len(xero.emulator.books.items) == 1
            assert xero.emulator.books.items[made]["SalesDetails"]["UnitPrice"] == 3
            await books.aclose()

    anyio.run(main)
