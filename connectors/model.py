"""Canonical records that every connector reads and writes, with a content hash of each.

Connectors translate a platform's wire format into these records at the edge; the daemon only
ever sees these. Records are frozen: change them with ``model_copy(update=...)``.

The content hash covers what would be written to the other side. Bookkeeping that changes
without the content changing (the source's modified time or version) is left out, so an item
seen again through the overlap window costs no write.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

ProductStatus = Literal["live", "discontinued"]


class Record(BaseModel):
    """Base of every canonical record: frozen, strict about unknown fields, hashable content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Fields that are bookkeeping, not content; the hash ignores them.
    hash_exclude: ClassVar[frozenset[str]] = frozenset({"modified_at", "version"})

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON form of the content (sorted keys, no whitespace)."""
        data = self.model_dump(mode="json", exclude=self.hash_exclude)  # type: ignore[arg-type]
        return hashlib.sha256(canonical_json(data).encode()).hexdigest()


class Variant(Record):
    external_id: str
    sku: str | None
    title: str = ""
    weight_grams: int | None = None
    position: int = 0
    image_url: str | None = None
    options: dict[str, str] = Field(default_factory=dict)
    price: Decimal | None = None
    rrp: Decimal | None = None


class Product(Record):
    external_id: str
    title: str
    handle: str
    status: ProductStatus = "live"
    variants: tuple[Variant, ...] = ()
    restock_date: date | None = None
    custom: dict[str, str] = Field(default_factory=dict)
    modified_at: datetime | None = None
    version: int | None = None


class StockLevel(Record):
    """Quantity of one variant (by SKU) at one location of the system that owns it."""

    sku: str
    location: str
    quantity: int
    variant_external_id: str | None = None
    modified_at: datetime | None = None
    version: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.sku, self.location)


class Address(Record):
    line1: str = ""
    line2: str = ""
    city: str = ""
    postcode: str = ""
    country: str = ""  # ISO 3166-1 alpha-2


class Customer(Record):
    """A customer account. On the channel side ``external_id`` is the channel's id."""

    external_id: str
    email: str | None
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address: Address | None = None
    # B2B extras, where the platform has them.
    group: str | None = None
    accounting_id: str | None = None
    price_lists: tuple[str, ...] = ()
    discount_percent: Decimal | None = None
    pays_on_account: bool = False
    parent_external_id: str | None = None
    modified_at: datetime | None = None
    version: int | None = None


class OrderLine(Record):
    sku: str | None
    title: str = ""
    quantity: int
    unit_price: Decimal
    external_id: str | None = None


class Shipment(Record):
    external_id: str
    lines: tuple[tuple[str, int], ...] = ()  # (sku, quantity)
    carrier: str = ""
    tracking: str = ""
    shipped_at: datetime | None = None


class Order(Record):
    """An order as the channel holds it; ``external_id`` is the channel's order reference."""

    external_id: str
    number: str = ""
    customer: Customer
    lines: tuple[OrderLine, ...]
    currency: str
    total: Decimal
    status: str = "open"  # open | cancelled | closed
    b2b: bool = False
    shipping_address: Address | None = None
    shipments: tuple[Shipment, ...] = ()
    created_at: datetime | None = None
    modified_at: datetime | None = None
    version: int | None = None


class StoreSettings(Record):
    currency: str
    name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteResult:
    """Outcome of writing one item to a system: its id there, or why it was refused. A plain
    dataclass: connectors make one per item written (hundreds of thousands in a full sync),
    from values they have checked already."""

    external_id: str
    remote_id: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def canonical_json(value: Any) -> str:
    """The one canonical JSON form, which content hashes are taken of: sorted keys, compact,
    non-ASCII as ``\\uXXXX`` escapes, Decimals as strings, dates and times in ISO 8601.

    These are the bytes every stored hash was made from: changing them (another encoder, other
    options) would make every item look changed once and be written again."""
    return _CANONICAL.encode(value)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal | datetime | date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


# One encoder made once (json.dumps with options builds a new one on every call). Records' dumps
# hold no cycles, so the encoder does not look for them (the bytes are the same either way).
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), default=_default, check_circular=False
)
