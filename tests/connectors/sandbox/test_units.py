"""Pure parts of the sandboxes: rate-limit windows, change tokens, seed data, order picks,
settings, and the upgrade of an older database."""

from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from syncwright.connectors.sandbox.__main__ import parse_args
from syncwright.connectors.sandbox.erp.schema import SCHEMA
from syncwright.connectors.sandbox.erp.seed import seed_data
from syncwright.connectors.sandbox.erp.seed_customers import LEGACY_ADDRESS_ID, SHARED_EMAIL_IDS
from syncwright.connectors.sandbox.erp.store import ErpStore
from syncwright.connectors.sandbox.settings import ErpSettings, ShopSettings
from syncwright.connectors.sandbox.shop.order_generator import pick_orders
from syncwright.connectors.sandbox.timestamps import SkewedClock, format_token, parse_token
from syncwright.connectors.sandbox.web import RateLimiter

NOW = 1_795_000_000.0


def test_rate_limiter_counts_a_fixed_minute_window() -> None:
    now = [100.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.hit() == (
        True,
        {"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "60"},
    )
    now[0] += 15.5
    assert limiter.hit()[0]
    allowed, headers = limiter.hit()
    assert not allowed
    assert headers["Retry-After"] == headers["X-RateLimit-Reset"] == "45"
    assert headers["X-RateLimit-Remaining"] == "0"
    now[0] += 45
    assert limiter.hit() == (
        True,
        {"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "60"},
    )


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("2026-11-22T12:00:05Z", "2026-11-22T12:00:05Z"),
        ("2026-11-22T12:00:05.999Z", "2026-11-22T12:00:05Z"),
        ("2026-11-22T13:00:05+01:00", "2026-11-22T12:00:05Z"),
        ("2026-11-22T12:00:05", "2026-11-22T12:00:05Z"),
        ("2026-11-22", "2026-11-22T00:00:00Z"),
    ],
)
def test_tokens_are_utc_to_the_second(text: str, token: str) -> None:
    assert parse_token(text) == token


def test_bad_tokens_and_the_skewed_clock() -> None:
    with pytest.raises(ValueError):
        parse_token("last tuesday")
    assert format_token(NOW + 0.99) == format_token(NOW)
    clock = SkewedClock(-120, wall=lambda: NOW)
    assert clock.token() == format_token(NOW - 120)


def test_seed_data_is_deterministic_and_consistent(tmp_path: Path) -> None:
    settings = ErpSettings(
        db_path=tmp_path / "x.db", products=500, variants_per_product=3, customers=20, seed=3
    )
    first, second = seed_data(settings, NOW), seed_data(settings, NOW)
    assert first == second
    other = seed_data(ErpSettings(db_path=tmp_path / "x.db", products=500, seed=4), NOW)
    assert [p[1] for p in other.products] != [p[1] for p in first.products]
    assert len(first.variants) == 1500 and len(first.stock) == 3000
    assert len({v[2] for v in first.variants}) == 1500  # SKUs are unique
    stamps = Counter(p[6] for p in first.products)
    assert max(stamps.values()) > 1  # import batches share a second
    assert [p[6] for p in first.products] == sorted(p[6] for p in first.products)
    assert max(p[6] for p in first.products) == format_token(NOW)
    emails = [c[1].lower() for c in first.customers]
    assert len(set(emails)) == 19  # one deliberate duplicate
    assert emails[SHARED_EMAIL_IDS[0] - 1] == emails[SHARED_EMAIL_IDS[1] - 1]
    assert first.customers[0][1] != first.customers[1][1]  # written differently
    legacy = json.loads(first.customers[LEGACY_ADDRESS_ID - 1][12])
    assert legacy["line1"] == "" and legacy["city"]
    accounts = [c[7] for c in first.customers if c[7]]
    assert len(accounts) == len(set(accounts)) >= 3


def test_picked_orders_are_deterministic_and_mix_buyers() -> None:
    picks = [
        pick_orders(random.Random(5), 200, ["A", "B", "C"], customers=[1, 2, 3], next_customer=4)
        for _ in range(2)
    ]
    assert picks[0] == picks[1]
    returning = [o for o in picks[0] if "customer_id" in o]
    new = [o["customer"] for o in picks[0] if "customer" in o]
    assert returning and new and {o["customer_id"] for o in returning} <= {1, 2, 3}
    assert len({c["email"] for c in new}) == len(new)  # numbered from next_customer on
    assert any(o["b2b"] for o in picks[0]) and any(c.get("company") for c in new)
    assert all(1 <= len(o["lines"]) <= 3 for o in picks[0])
    assert pick_orders(random.Random(5), 3, [], customers=[1], next_customer=2) == []


def test_an_older_erp_database_gains_the_customer_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = SCHEMA.split("CREATE TABLE IF NOT EXISTS customers")[0]
    with sqlite3.connect(path) as conn:
        conn.executescript(
            old + "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, "
            "first_name TEXT NOT NULL, last_name TEXT NOT NULL, company TEXT, "
            "modified_at TEXT NOT NULL);"
            "INSERT INTO customers VALUES (1, 'old@example.com', 'O', 'Ld', NULL, "
            "'2026-01-01T00:00:00Z');"
            "INSERT INTO meta VALUES ('seeded', '2026-01-01T00:00:00Z');"
        )
    store = ErpStore.open(ErpSettings(db_path=path, products=5))
    try:
        [customer] = json.loads(f"[{','.join(store.customers.listing(0, 10)[0])}]")
        assert customer["email"] == "old@example.com" and customer["price_lists"] == []
        assert customer["pays_on_account"] is False and customer["address"] is None
        assert store.settings()["currency"] == "EUR"
    finally:
        store.close()


@pytest.mark.parametrize(
    "bad",
    [
        {"port": 70000},
        {"api_key": ""},
        {"variants_per_product": 0},
        {"warehouses": ()},
        {"warehouses": ("a", "a")},
        {"change_rate": -1.0},
        {"rate_limit_per_minute": -5},
    ],
)
def test_settings_refuse_nonsense(tmp_path: Path, bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ErpSettings(db_path=tmp_path / "x.db", **bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"locations": ()}, "locations"),
        ({"order_rate": -1.0}, "order_rate"),
        ({"order_rate": float("nan")}, "order_rate"),
        ({"currency": "eur"}, "currency"),
    ],
)
def test_shop_settings_refuse_nonsense(tmp_path: Path, bad: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ShopSettings(db_path=tmp_path / "x.db", **bad)


def test_the_command_line_sets_the_order_rate() -> None:
    settings = parse_args(["shop", "--db", "s.db", "--order-rate", "2.5", "--seed", "9"])
    assert isinstance(settings, ShopSettings)
    assert (settings.order_rate, settings.seed) == (2.5, 9)
