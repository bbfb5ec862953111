"""The fixture of the back-office contract suite (connectors/backoffice_testing.py): what a
platform's test supplies, what the suite reports back, and the explicit skip of a check."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from syncwright.connectors.base import SourceConnector


class BackOfficeCheckSkipped(UserWarning):
    """A check of the back-office suite that this platform (or its fixture) cannot take."""


@dataclass(frozen=True)
class SeededProduct:
    """One product the fixture made: its id at the source, and per SKU its price and the
    quantity in stock at the fixture's location."""

    product_id: str
    prices: dict[str, Decimal]
    stock: dict[str, int]


@dataclass(frozen=True)
class SeededCustomers:
    #: Two customers of the back office that share this e-mail (ids ``shared_ids``).
    shared_email: str
    shared_ids: tuple[str, str]
    #: A customer found by its account id, where the platform has account ids.
    account_id: str | None = None
    account_customer_id: str | None = None


@dataclass(frozen=True)
class BackOfficeFixture:
    """What the platform's test supplies. The callables change the back office directly."""

    #: The location name the connector reports the seeded stock at.
    location: str
    #: Seed ``count`` new products, each with two or more priced variants in stock.
    seed_products: Callable[[int], Awaitable[Sequence[SeededProduct]]]
    #: The platform's largest page; None: the connector's ``capabilities.max_page_size``.
    page_size: int | None = None
    #: Variants each seeded product has at least: 1 where a product is one item (Xero).
    variants: int = 2
    #: Change the content (e.g. the title) of the product with this id.
    edit_product: Callable[[str], Awaitable[None]] | None = None
    #: Set the quantity of this SKU at ``location``.
    edit_stock: Callable[[str, int], Awaitable[None]] | None = None
    #: Delete or deactivate the product with this id.
    remove_product: Callable[[str], Awaitable[None]] | None = None
    #: Make the customers above (or return ones the back office holds).
    seed_customers: Callable[[], Awaitable[SeededCustomers]] | None = None
    #: Orders posted by the suite; None: one more than the page size.
    order_count: int | None = None
    #: Whether the back office records shipments made on a channel.
    channel_shipments: bool = True
    #: Checks skipped so far (also warned), for the platform's test to assert on.
    skipped: list[str] = field(default_factory=list)


def skip(fixture: BackOfficeFixture, what: str) -> None:
    fixture.skipped.append(what)
    warnings.warn(BackOfficeCheckSkipped(what), stacklevel=2)


def page_size(source: SourceConnector, fixture: BackOfficeFixture) -> int:
    return fixture.page_size or source.capabilities.max_page_size
