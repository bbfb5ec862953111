"""Pure parts of the sandboxes: rate-limit windows, change tokens, seed data, settings."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from connectors.sandbox.seed import seed_data
from connectors.sandbox.settings import ErpSettings, ShopSettings
from connectors.sandbox.timestamps import SkewedClock, format_token, parse_token
from connectors.sandbox.web import RateLimiter

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
    assert len({c[1] for c in first.customers}) == 20


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


def test_shop_settings_refuse_empty_locations(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="locations"):
        ShopSettings(db_path=tmp_path / "x.db", locations=())
