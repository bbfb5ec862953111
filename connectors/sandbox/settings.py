"""Settings of the sandbox back office and sandbox shop servers (frozen, one per process)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_WAREHOUSES: tuple[str, ...] = ("central", "north")
DEMO_KEY_FILE = Path(__file__).with_name("demo.key")
DEMO_KEY = "sandbox-demo-key"


def demo_api_key() -> str:
    """The key the shipped config uses: demo.key beside this module, or its known content."""
    try:
        key = DEMO_KEY_FILE.read_text().strip()
    except OSError:
        return DEMO_KEY
    return key or DEMO_KEY


@dataclass(frozen=True, slots=True)
class ErpSettings:
    """One sandbox back office: where it listens, where it keeps state, what it seeds."""

    db_path: Path
    host: str = "127.0.0.1"
    port: int = 0
    api_key: str = DEMO_KEY
    #: Seeded on first start only (an existing database keeps its data).
    products: int = 200
    variants_per_product: int = 2
    warehouses: tuple[str, ...] = DEFAULT_WAREHOUSES
    customers: int = 50
    #: Random edits (titles, prices, stock) per second; 0 turns the generator off.
    change_rate: float = 0.0
    #: Requests per minute on /api/ endpoints; 0 turns the limit (and its headers) off.
    rate_limit_per_minute: int = 0
    seed: int = 1

    def __post_init__(self) -> None:
        _check_common(self.port, self.api_key, self.rate_limit_per_minute)
        if self.products < 0 or self.customers < 0:
            raise ValueError("products and customers must not be negative")
        if self.variants_per_product < 1:
            raise ValueError("variants_per_product must be at least 1")
        _check_locations(self.warehouses, "warehouses")
        if self.change_rate < 0:
            raise ValueError("change_rate must not be negative")


@dataclass(frozen=True, slots=True)
class ShopSettings:
    """One sandbox shop: starts with no products and accepts what the daemon writes."""

    db_path: Path
    host: str = "127.0.0.1"
    port: int = 0
    api_key: str = DEMO_KEY
    locations: tuple[str, ...] = DEFAULT_WAREHOUSES
    rate_limit_per_minute: int = 0
    #: Random orders placed per second (for listed, priced products); 0 turns it off.
    order_rate: float = 0.0
    #: The currency a new shop starts with, until the daemon pushes the back office's.
    currency: str = "USD"
    seed: int = 1

    def __post_init__(self) -> None:
        _check_common(self.port, self.api_key, self.rate_limit_per_minute)
        _check_locations(self.locations, "locations")
        if not self.order_rate >= 0:
            raise ValueError("order_rate must not be negative")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError("currency must be a three-letter code such as USD")


def _check_common(port: int, api_key: str, rate_limit: int) -> None:
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is out of range 0-65535")
    if not api_key:
        raise ValueError("api_key must not be empty")
    if rate_limit < 0:
        raise ValueError("rate_limit_per_minute must not be negative (0 turns it off)")


def _check_locations(names: tuple[str, ...], what: str) -> None:
    if not names or any(not name.strip() for name in names):
        raise ValueError(f"{what} must be a non-empty list of non-empty names")
    if len(set(names)) != len(names):
        raise ValueError(f"{what} must not repeat a name")
