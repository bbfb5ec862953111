"""Change tokens of the sandbox back office: ISO 8601 UTC to the second, on a skewable clock.

Second resolution is deliberate: like many real back offices, several changes share one
timestamp, so a client must page by (modified_at, id) rather than by time alone.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

TOKEN_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_TOKEN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def format_token(epoch_seconds: float) -> str:
    """``1795000000.7`` -> ``"2026-11-18T...Z"`` (the fraction is dropped, never rounded up)."""
    return datetime.fromtimestamp(int(epoch_seconds // 1), UTC).strftime(TOKEN_FORMAT)


def parse_token(text: str) -> str:
    """Normalise any ISO 8601 time to a token; naive times are taken as UTC.

    Fractions of a second are dropped, which makes an inclusive lower bound slightly wider:
    never narrower. Raises ValueError for text that is not an ISO 8601 time.
    """
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    when = datetime.fromisoformat(raw)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime(TOKEN_FORMAT)


@lru_cache(maxsize=4096)
def token_to_datetime(token: str) -> datetime:
    """``"2026-11-22T12:00:05Z"`` -> an aware UTC datetime; ValueError for any other shape.

    A page shares few distinct tokens (second resolution), so answers are cached; the regex
    plus ``fromisoformat`` is exactly as strict as TOKEN_FORMAT and far cheaper than strptime.
    """
    if not _TOKEN.fullmatch(token):
        raise ValueError(f"not a change token like 2026-11-22T12:00:05Z: {token!r}")
    return datetime.fromisoformat(token[:-1]).replace(tzinfo=UTC)


class SkewedClock:
    """Wall-clock time plus an offset, to play a source whose clock runs behind (or ahead)."""

    def __init__(self, offset_seconds: float = 0.0, wall: Callable[[], float] = time.time) -> None:
        self.offset_seconds = offset_seconds
        self._wall = wall

    def now(self) -> float:
        return self._wall() + self.offset_seconds

    def token(self) -> str:
        return format_token(self.now())
