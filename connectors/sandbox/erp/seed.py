"""Deterministic, realistic seed data for the sandbox back office (rows ready for executemany).

The same seed gives the same catalogue; only the timestamps follow the clock at seeding time.
Products and customers arrive in import batches that share one second, as bulk imports do in
real systems. Customers (with the deliberate duplicate e-mail) come from seed_customers.py.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from syncwright.connectors.sandbox.erp.seed_customers import CustomerRow, seed_customers
from syncwright.connectors.sandbox.settings import ErpSettings
from syncwright.connectors.sandbox.timestamps import format_token

ADJECTIVES = (
    "Classic",
    "Everyday",
    "Heritage",
    "Urban",
    "Coastal",
    "Alpine",
    "Vintage",
    "Essential",
    "Premium",
    "Relaxed",
    "Tailored",
    "Lightweight",
    "Rugged",
    "Soft",
)
MATERIALS = (
    "Linen",
    "Cotton",
    "Wool",
    "Denim",
    "Leather",
    "Canvas",
    "Merino",
    "Bamboo",
    "Cashmere",
    "Corduroy",
    "Fleece",
    "Hemp",
)
#: noun -> (base weight in grams, base price, option axes)
NOUNS: dict[str, tuple[int, int, tuple[str, ...]]] = {
    "Shirt": (220, 39, ("Size", "Colour")),
    "Jacket": (900, 129, ("Size", "Colour")),
    "Scarf": (150, 29, ("Colour",)),
    "Backpack": (1100, 89, ("Colour",)),
    "Trousers": (480, 69, ("Size", "Colour")),
    "Beanie": (90, 19, ("Colour",)),
    "Tote Bag": (300, 25, ("Colour",)),
    "Sweater": (520, 79, ("Size", "Colour")),
    "Belt": (200, 35, ("Size",)),
    "Socks": (60, 9, ("Size", "Colour")),
}
OPTION_VALUES: dict[str, tuple[str, ...]] = {
    "Size": ("XS", "S", "M", "L", "XL", "XXL"),
    "Colour": ("Black", "Navy", "Olive", "Sand", "Rust", "Grey", "Cream", "Forest"),
}
BRANDS = ("Northwind", "Fjordline", "Kestrel & Co", "Marlow", "Oakhaven", "Tidewater")
SEASONS = ("SS26", "AW26", "SS27", "core")
ProductRow = tuple[int, str, str, str, str | None, str, str]
VariantRow = tuple[int, int, str, str, int, int, str, str, str, str | None]
StockRow = tuple[int, str, int, str]


@dataclass
class SeedData:
    products: list[ProductRow] = field(default_factory=list)
    variants: list[VariantRow] = field(default_factory=list)
    stock: list[StockRow] = field(default_factory=list)
    customers: list[CustomerRow] = field(default_factory=list)


def seed_data(settings: ErpSettings, now: float) -> SeedData:
    """Rows for products, variants, stock (every variant at every warehouse) and customers."""
    rng = random.Random(settings.seed)
    data = SeedData()
    stamps = _import_batches(rng, settings.products, now)
    today = datetime.fromtimestamp(now, UTC).date()
    variant_id = 0
    for product_id, stamp in zip(range(1, settings.products + 1), stamps, strict=True):
        noun = rng.choice(tuple(NOUNS))
        weight, base_price, axes = NOUNS[noun]
        title = f"{rng.choice(ADJECTIVES)} {rng.choice(MATERIALS)} {noun}"
        handle = f"{title.lower().replace(' & ', '-').replace(' ', '-')}-{product_id}"
        status = "discontinued" if rng.random() < 0.02 else "live"
        restock = (
            (today + timedelta(days=rng.randint(3, 60))).isoformat() if rng.random() < 0.1 else None
        )
        custom = {"brand": rng.choice(BRANDS), "season": rng.choice(SEASONS)}
        data.products.append(
            (
                product_id,
                title,
                handle,
                status,
                restock,
                json.dumps(custom, sort_keys=True),
                format_token(stamp),
            )
        )
        price = (
            Decimal(base_price + rng.randint(-5, 30))
            - rng.choice((Decimal("0.01"), Decimal("0.05"), Decimal("0")))
        ).quantize(Decimal("0.01"))
        for position, options in enumerate(_options(rng, axes, settings.variants_per_product), 1):
            variant_id += 1
            sku = f"SW-{product_id:06d}-{position:02d}"
            rrp = (
                None
                if rng.random() < 0.3
                else str((price * Decimal("1.2")).quantize(Decimal("1")) - Decimal("0.01"))
            )
            data.variants.append(
                (
                    variant_id,
                    product_id,
                    sku,
                    " / ".join(options.values()) or "Default",
                    max(1, weight + rng.randint(-weight // 10, weight // 10)),
                    position,
                    f"https://images.sandbox.invalid/{handle}/{position}.jpg",
                    json.dumps(options, sort_keys=True),
                    str(price),
                    rrp,
                )
            )
            for warehouse in settings.warehouses:
                quantity = 0 if rng.random() < 0.1 else rng.randint(1, 200)
                counted = min(now, stamp + rng.randint(0, 3600))
                data.stock.append((variant_id, warehouse, quantity, format_token(counted)))
    stamps = _import_batches(rng, settings.customers, now)
    data.customers = seed_customers(rng, [format_token(stamp) for stamp in stamps])
    return data


def _import_batches(rng: random.Random, count: int, now: float) -> list[float]:
    """``count`` timestamps, oldest first, in batches of up to 200 that share a second."""
    stamps: list[float] = []
    when = now
    while len(stamps) < count:
        size = min(count - len(stamps), rng.randint(1, 200))
        stamps.extend([when] * size)
        when -= rng.randint(1, 900)
    stamps.reverse()
    return stamps


def _options(rng: random.Random, axes: tuple[str, ...], count: int) -> Iterator[dict[str, str]]:
    """``count`` distinct option combinations over ``axes`` (numbered once the axes run out)."""
    seen: set[tuple[str, ...]] = set()
    tries = 0
    while len(seen) < count:
        combo = tuple(rng.choice(OPTION_VALUES[axis]) for axis in axes)
        tries += 1
        if combo in seen and tries < count * 20:
            continue
        if combo in seen:
            combo = (*combo[:-1], f"{combo[-1]} {len(seen) + 1}")
        seen.add(combo)
        yield dict(zip(axes, combo, strict=True))
