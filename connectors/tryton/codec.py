"""Tryton's JSON extensions: Decimal, datetime, date (and bytes, time, timedelta) as tagged
objects ``{"__class__": ..., ...}`` in both directions.

Tryton's timestamps are naive UTC; this module turns them into aware UTC datetimes, and
change tokens are their ISO 8601 form with a ``Z``.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any


class TaggedValueError(ValueError):
    """A tagged object with missing or wrong parts."""


def encode_value(value: Any) -> Any:
    """``json.dumps`` default hook: the tagged form of values plain JSON cannot carry."""
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, bytes):
        return {"__class__": "bytes", "base64": base64.b64encode(value).decode()}
    raise TypeError(f"cannot encode {type(value).__name__} for Tryton")


def _decode_object(obj: dict[str, Any]) -> Any:
    tag = obj.get("__class__")
    if tag is None:
        return obj
    try:
        if tag == "Decimal":
            return Decimal(obj["decimal"])
        if tag == "datetime":
            return datetime(
                obj["year"],
                obj["month"],
                obj["day"],
                obj.get("hour", 0),
                obj.get("minute", 0),
                obj.get("second", 0),
                obj.get("microsecond", 0),
                tzinfo=UTC,
            )
        if tag == "date":
            return date(obj["year"], obj["month"], obj["day"])
        if tag == "time":
            return time(obj.get("hour", 0), obj.get("minute", 0), obj.get("second", 0))
        if tag == "timedelta":
            return timedelta(seconds=obj["seconds"])
        if tag == "bytes":
            return base64.b64decode(obj["base64"])
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise TaggedValueError(f"bad tagged {tag} value: {exc}") from None
    return obj


def dumps(value: Any) -> str:
    return json.dumps(value, default=encode_value, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """Parse a Tryton answer; raises ValueError (TaggedValueError included) on a bad body."""
    return json.loads(text, object_hook=_decode_object)


def to_token(when: datetime) -> str:
    """An aware (or naive UTC) datetime as a change token: ISO 8601, microseconds, ``Z``."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def from_token(token: str) -> datetime:
    """A change token (any ISO 8601 time; naive means UTC) as an aware UTC datetime."""
    raw = token.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    when = datetime.fromisoformat(raw)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)
