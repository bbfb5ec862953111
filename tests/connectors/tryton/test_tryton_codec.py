"""Tryton's tagged JSON values and change tokens (pure logic)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from syncwright.connectors.tryton import codec


def test_tagged_values_round_trip() -> None:
    value = {
        "price": Decimal("11.50"),
        "when": datetime(2026, 11, 22, 12, 17, 18, 415743, tzinfo=UTC),
        "day": date(2026, 11, 22),
        "blob": b"\x00\x01",
        "plain": [1, "a", None],
    }
    assert codec.loads(codec.dumps(value)) == value


def test_aware_times_are_sent_as_naive_utc() -> None:
    berlin = datetime(2026, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    sent = codec.loads(codec.dumps(berlin).replace('"__class__"', '"__klass__"'))
    assert (sent["hour"], sent["day"]) == (12, 1)


def test_a_broken_tagged_value_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Decimal"):
        codec.loads('{"__class__": "Decimal", "decimal": "eleven"}')
    with pytest.raises(ValueError, match="datetime"):
        codec.loads('{"__class__": "datetime", "year": 2026}')


def test_tokens_are_ordered_iso_utc() -> None:
    early = datetime(2026, 1, 1, 0, 0, 0, 5, tzinfo=UTC)
    late = datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert codec.to_token(early) == "2026-01-01T00:00:00.000005Z"
    assert codec.to_token(early) < codec.to_token(late)
    assert codec.from_token(codec.to_token(late)) == late
    assert codec.from_token("2026-01-01T01:00:00+01:00") == datetime(2026, 1, 1, tzinfo=UTC)
