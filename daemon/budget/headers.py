"""Reading servers' quota headers: what remains, in which window, and until when.

Each recognised header becomes a :class:`QuotaHint`; the budget decides which of its windows a
hint applies to. Anything malformed (not a number, negative, NaN, a list) is skipped: a header
from outside never raises.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

#: Header names kept for the UI, lower-case.
QUOTA_HEADERS = (
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "ratelimit-policy",
    "x-minlimit-remaining",
    "x-daylimit-remaining",
    "x-applimit-remaining",
    "x-appminlimit-remaining",  # Xero: calls left this minute for the app, all tenants
    "x-rate-limit-problem",
    "x-shopify-shop-api-call-limit",
    "retry-after",
)
#: A reset value below this is delta seconds; from here on it is an epoch timestamp.
EPOCH_THRESHOLD = 1e9
#: Longest header value kept for the UI.
MAX_VALUE_CHARS = 200

Target = Literal["by-reset", "smallest", "minute", "day"]


@dataclass(frozen=True, slots=True)
class QuotaHint:
    """The server says ``remaining`` units are left in the ``target`` window."""

    target: Target
    remaining: float
    #: Seconds from now until the server's window resets, when it said.
    reset_in: float | None = None


def number(value: str | None) -> float | None:
    """A finite, non-negative number, or None."""
    if value is None:
        return None
    try:
        parsed = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(parsed) or parsed < 0:
        return None
    return parsed


def reset_delay(value: str | None, now: float) -> float | None:
    """Seconds until a reset given as delta seconds or as epoch seconds."""
    parsed = number(value)
    if parsed is None:
        return None
    delay = parsed - now if parsed >= EPOCH_THRESHOLD else parsed
    return delay if delay > 0 else None


_NAMED: tuple[tuple[str, Target], ...] = (
    ("x-minlimit-remaining", "minute"),
    ("x-daylimit-remaining", "day"),
)


def quota_hints(headers: Mapping[str, str], now: float) -> list[QuotaHint]:
    """Hints from lower-cased ``headers``."""
    hints: list[QuotaHint] = []
    for prefix in ("x-ratelimit-", "ratelimit-"):
        remaining = number(headers.get(prefix + "remaining"))
        if remaining is not None:
            reset_in = reset_delay(headers.get(prefix + "reset"), now)
            hints.append(QuotaHint("by-reset", remaining, reset_in))
    for name, target in _NAMED:
        remaining = number(headers.get(name))
        if remaining is not None:
            hints.append(QuotaHint(target, remaining))
    shopify = shopify_remaining(headers.get("x-shopify-shop-api-call-limit"))
    if shopify is not None:
        hints.append(QuotaHint("smallest", shopify))
    return hints


def shopify_remaining(value: str | None) -> float | None:
    """``used/max`` (e.g. ``32/40``) as the number of calls left."""
    if value is None or value.count("/") != 1:
        return None
    used, limit = (number(part) for part in value.split("/"))
    if used is None or limit is None:
        return None
    return max(0.0, limit - used)


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The quota headers worth showing an operator, values cut to a sane length."""
    return {name: headers[name][:MAX_VALUE_CHARS] for name in QUOTA_HEADERS if name in headers}
