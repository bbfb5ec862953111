"""The connector contract: capability flags, the call gate, and the methods each role needs.

A *source* (back office) lists changes since a cursor, or lists everything for audit mode, and
fetches single items. A *channel* (web shop) accepts product upserts and batched stock writes
and can read back what it holds, so the daemon can verify and repair drift.

Paging inside one pass uses a compound key ``(token, id)``: the source returns items ordered by
(change token, id) strictly after the key. Between passes the daemon asks again from a lower
bound ``since`` that is inclusive, so nothing committed late or twice in one tick is missed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from syncwright.connectors.model import (
    Customer,
    Order,
    Product,
    Shipment,
    StockLevel,
    StoreSettings,
    WriteResult,
)

T = TypeVar("T")

CursorKind = Literal["time", "version", "none"]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a connector can do; the daemon picks pull modes and batch sizes from this."""

    #: How changes can be asked for: by modified time, by a version number, or not at all
    #: ("none" means the daemon must use audit mode: list everything and diff by hash).
    cursor: CursorKind
    #: The same for the orders a channel holds (OrderSource.changed_orders); "none": audit.
    order_cursor: CursorKind = "none"
    max_page_size: int = 1000
    product_batch_size: int = 100
    stock_batch_size: int = 250
    webhooks: bool = False
    #: Name of the default price list this platform gets (e.g. "Shopify Price").
    price_list_name: str = "Default Price"
    #: The channel reads all its products in one bulk operation (BulkProductReader); full
    #: syncs of large catalogues verify against that instead of reading page by page.
    bulk_read: bool = False


@dataclass(frozen=True, slots=True)
class ChangeQuery:
    """One page request of a change pull.

    ``since`` is the inclusive lower bound of the change token for the whole pass (None: from
    the beginning). ``after`` is the (token, id) key of the last item of the previous page in
    this pass; the page holds items strictly after it, ordered by (token, id).
    """

    since: str | None
    after: tuple[str, str] | None
    limit: int


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """A page of items; ``last_key`` is the (token, id) key of its last item.

    Only ``complete`` ends a pass: a source that applies its limit before filtering may answer
    a page with few items or none and still have more. ``next_key`` is where the source says
    the next page starts (strictly after it), when it says so (a ``next`` object, a page token
    mapped to a key); without it the next page follows ``last_key``.
    """

    items: Sequence[T]
    last_key: tuple[str, str] | None
    #: True when the source says there is nothing after this page.
    complete: bool
    next_key: tuple[str, str] | None = None

    @property
    def resume_key(self) -> tuple[str, str] | None:
        """The key the next page of this pass follows: the source's own, else the last item's."""
        return self.next_key if self.next_key is not None else self.last_key


@dataclass(frozen=True, slots=True)
class ListQuery:
    """One page of a full listing, ordered by id, strictly after ``after``."""

    after: str | None
    limit: int


class CallGate(Protocol):
    """What a connector calls around every remote request; the daemon's budget implements it.

    ``acquire`` waits for, or refuses (raising RateLimitedError with ``local=True``), the right
    to spend ``cost`` units. ``report`` passes what the server said about its quota back.
    """

    async def acquire(self, cost: float = 1.0) -> None: ...

    def report(
        self, status: int, headers: Mapping[str, str], *, cost: float | None = None
    ) -> None: ...


class OpenGate:
    """A gate that never refuses: for tools and tests that run without a budget."""

    async def acquire(self, cost: float = 1.0) -> None:
        return None

    def report(self, status: int, headers: Mapping[str, str], *, cost: float | None = None) -> None:
        return None


@runtime_checkable
class Connector(Protocol):
    kind: str
    capabilities: Capabilities

    async def aclose(self) -> None: ...


@runtime_checkable
class ProductIdLister(Protocol):
    """A source that lists the ids of its live products cheaply (ids only, by id). The daemon
    compares a complete listing with its links to notice deletions that show only as absence
    (daemon/flows/deletions.py). ``Page.resume_key[1]`` is the ``after`` of the next page."""

    async def list_product_ids(self, query: ListQuery) -> Page[str]: ...


@runtime_checkable
class SourceConnector(Connector, Protocol):
    """A back office: where products, stock and prices come from."""

    async def changed_products(self, query: ChangeQuery) -> Page[Product]: ...

    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]: ...

    async def list_products(self, query: ListQuery) -> Page[Product]: ...

    async def list_stock(self, query: ListQuery) -> Page[StockLevel]: ...

    async def get_product(self, id_or_sku: str) -> Product | None: ...

    async def get_stock(self, skus: Sequence[str]) -> list[StockLevel]: ...


@runtime_checkable
class ChannelConnector(Connector, Protocol):
    """A sales channel: receives products and stock, can read back what it holds."""

    async def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]: ...

    async def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        """Write absolute quantities; one result per level, its external_id "SKU|location"
        with the back office's location name."""
        ...

    async def read_products(self, external_ids: Sequence[str]) -> dict[str, Product]: ...

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]: ...


@runtime_checkable
class OrderSource(Protocol):
    """A channel that has orders (and customers) to pull."""

    async def changed_orders(self, query: ChangeQuery) -> Page[Order]: ...

    async def list_orders(self, query: ListQuery) -> Page[Order]: ...

    async def get_order(self, external_id: str) -> Order | None: ...


@runtime_checkable
class CustomerDirectory(Protocol):
    """Customer lookup and creation; both roles may have it."""

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        """Every customer matching the e-mail (case-insensitive) or the account id; more than
        one means the match is ambiguous and the caller must not guess."""
        ...

    async def create_customer(self, customer: Customer) -> str:
        """Create and return the new id here."""
        ...


@runtime_checkable
class CustomerWriter(Protocol):
    """A channel that can replace a linked customer whole (SparkLayer's customer PUT); used
    only where the connection allows updates of linked customers."""

    async def put_customer(self, customer: Customer) -> None:
        """Write the complete customer under its ``external_id`` on this side."""
        ...


@runtime_checkable
class CustomerSource(Protocol):
    """A back office whose customers flow to the channel."""

    async def changed_customers(self, query: ChangeQuery) -> Page[Customer]: ...

    async def list_customers(self, query: ListQuery) -> Page[Customer]: ...


@runtime_checkable
class SettingsSource(Protocol):
    async def get_settings(self) -> StoreSettings: ...


@runtime_checkable
class SettingsTarget(Protocol):
    async def set_settings(self, settings: StoreSettings) -> None: ...


@runtime_checkable
class CustomerLookup(Protocol):
    """A back office that can fetch one customer by its id (for change events)."""

    async def get_customer(self, external_id: str) -> Customer | None: ...


@runtime_checkable
class PriceLists(Protocol):
    """A channel with named price lists. The daemon keeps one default list, named after the
    platform (``Capabilities.price_list_name``); variant prices travel with the products."""

    async def ensure_price_list(self, name: str) -> str:
        """Create the list unless it exists; return its id here."""
        ...


@runtime_checkable
class BulkProductReader(Protocol):
    """A channel that can read every product it holds in one (bulk) operation."""

    async def bulk_products(self) -> list[Product] | None:
        """Every product of ours on the channel, or None when the bulk operation failed (the
        caller then reads page by page)."""
        ...


class AlreadyPosted(Exception):
    """The back office already holds an order with this channel reference."""

    def __init__(self, channel_ref: str, existing_id: str) -> None:
        super().__init__(f"an order with channel reference {channel_ref} exists: {existing_id}")
        self.channel_ref = channel_ref
        self.existing_id = existing_id


@runtime_checkable
class OrderTarget(Protocol):
    """A back office that takes orders posted from a channel.

    ``create_order`` must be refused by the back office itself when an order with the same
    ``channel_ref`` exists (a unique key there), raising AlreadyPosted: that, not our own
    bookkeeping alone, is what makes a repeated post after a crash harmless.
    """

    async def find_order(self, channel_ref: str) -> str | None: ...

    async def create_order(self, order: Order, *, customer_id: str, channel_ref: str) -> str: ...

    async def amend_order(self, order_id: str, order: Order) -> None: ...

    async def add_shipment(self, order_id: str, shipment: Shipment) -> None: ...

    async def create_product(self, product: Product) -> str:
        """Create a product (at sale time, when an order names a SKU the back office lacks)."""
        ...


@runtime_checkable
class OrderWorkflow(Protocol):
    """A back office whose orders pass through steps after the create (Tryton: quote, confirm,
    process). The daemon drives them one at a time, so a crash between two steps resumes from
    the state the back office holds instead of leaving the order half-way for good."""

    async def advance_order(self, order_id: str) -> str | None:
        """Take the order one step further from the state the back office holds; returns the
        step taken, or None when it needs no more steps (done, or cancelled)."""
        ...


@runtime_checkable
class ShipmentLookup(Protocol):
    """A back office that can say whether an order holds a shipment (by the channel's
    shipment id), so a shipment added before a crash is linked, not added again."""

    async def has_shipment(self, order_id: str, shipment_id: str) -> bool: ...


class KindSettings(BaseModel):
    """Base of every kind's settings model (``[systems.NAME.settings]``, connectors/<kind>/
    settings.py): frozen, and an unknown key is an error, not a silent no-op."""

    model_config = ConfigDict(frozen=True, extra="forbid")


S = TypeVar("S", bound=KindSettings)


#: Database URL schemes (SQLAlchemy's ``dialect+driver``) a system's url may have (kind sql).
DATABASE_DIALECTS = frozenset({"postgresql", "mysql", "mariadb"})


def url_scheme_ok(scheme: str) -> bool:
    """An http(s) URL, or a database URL such as ``postgresql+asyncpg``."""
    return scheme in ("http", "https") or scheme.split("+", 1)[0] in DATABASE_DIALECTS


@dataclass(frozen=True, slots=True)
class SystemSpec(Generic[S]):
    """What the daemon hands a connector factory: the system's name, where it is, its kind's
    validated settings and its resolved secrets.

    ``settings`` is already an instance of the kind's settings model, so a connector reads
    typed fields and never re-checks a raw mapping. ``url`` and ``timeout`` are checked here
    (the config checks them too), so a spec built by hand is refused as clearly.
    """

    name: str
    kind: str
    url: str
    settings: S
    secrets: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 30.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if not url_scheme_ok(parts.scheme) or not parts.netloc:
            raise ValueError(f"system {self.name!r}: url must be an http(s) or database URL")
        timeout = self.timeout
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise ValueError(f"system {self.name!r}: timeout must be a positive number")

    def secret(self, name: str) -> str:
        """The resolved credential ``name``; ValueError naming it when it is missing."""
        value = self.secrets.get(name)
        if not value:
            raise ValueError(f"system {self.name!r}: secrets.{name} is required")
        return value


@dataclass(frozen=True, slots=True)
class EmbeddedSpec:
    """What the daemon hands a kind's embedded-server hook (registry ``Kind.embedded``): where
    to listen, where to keep its data, the key it accepts, and the kind's own options."""

    name: str
    host: str
    port: int
    data_dir: Path
    #: None: the server's built-in key.
    api_key: str | None = None
    #: Keyword arguments of the server's own settings (e.g. products, rate_limit_per_minute).
    options: Mapping[str, Any] = field(default_factory=dict)
