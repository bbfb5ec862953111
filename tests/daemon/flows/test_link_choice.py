"""A customer ambiguity error read back into the choice a person makes: the messages are the
flows' own (built by their functions where they are functions), so a reworded error that no
longer offers its choice fails here."""

from __future__ import annotations

from syncwright.daemon.flows import sale
from syncwright.daemon.flows.link_choice import LinkChoice, choice


def test_an_order_customer_matching_two_back_office_customers() -> None:
    message = sale._ambiguity("demo", "ann@example.com", None, ["4", "17"], "sc_3")
    assert choice("orders", message) == LinkChoice(("4", "17"), "sc_3")
    guest = sale._ambiguity("demo", "g@example.com", "A-1", ["4", "17"], "email:g@example.com")
    assert choice("orders", guest) == LinkChoice(("4", "17"), "email:g@example.com")


def test_a_back_office_customer_sharing_its_e_mail() -> None:
    message = (
        "customer 4 shares e-mail ann@example.com with back-office customer(s) 17, 20; no flow"
        " links either to a sandbox customer (that would be a guess). Give them different"
        " e-mails, or link one by hand: syncwright link demo 4 CHANNEL_CUSTOMER_ID"
    )
    assert choice("customers", message) == LinkChoice(("4", "17", "20"), None)


def test_a_channel_customer_already_linked_to_another() -> None:
    message = (
        "customer C-5 matches shop customer sc_1 (jane@example.com), which is already linked to"
        " customer C-4; two back-office customers share it"
    )
    assert choice("customers", message) == LinkChoice(("C-5", "C-4"), "sc_1")
    bare = "customer 9 matches channel customer sc_2, which is already linked to customer 3"
    assert choice("customers", bare) == LinkChoice(("9", "3"), "sc_2")


def test_other_errors_offer_no_choice() -> None:
    assert choice("customers", "customer 4 has no e-mail") is None
    assert choice("products", "product 1042 has no SKU") is None
    assert choice("orders", "ERP refused the order: customer group missing") is None
