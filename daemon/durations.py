"""Durations as operators write them ("500ms", "30s", "1h30m", "7d") and back, in float seconds."""

from __future__ import annotations

import math
import re

#: Seconds per unit, longest first, so formatting picks the largest unit that fits.
UNITS: dict[str, float] = {
    "w": 7 * 86400.0,
    "d": 86400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 0.001,
}

_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*(ms|w|d|h|m|s)")
_WHOLE = re.compile(rf"\s*(?:{_PART.pattern}\s*)+")

EXPECTED = (
    'a duration: seconds as a number, or a string such as "500ms", "30s", "5m", "2h", "7d" '
    'or "1h30m"'
)


def parse_duration(value: object) -> float:
    """Return ``value`` in seconds.

    Accepts a non-negative int or float (seconds) or a string of one or more ``<number><unit>``
    parts, units ``ms s m h d w``. A bare number in a string ("30") means seconds. Raises
    ValueError with a message that says what is expected.
    """
    if isinstance(value, bool):
        # bool is an int subclass; `timeout = true` is a mistake, not one second.
        raise ValueError(f"expected {EXPECTED}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_text(value)
    else:
        raise ValueError(f"expected {EXPECTED}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"expected {EXPECTED}, not negative or infinite")
    return seconds


def _parse_text(text: str) -> float:
    stripped = text.strip()
    try:
        return float(stripped)
    except ValueError:
        pass
    if not stripped or not _WHOLE.fullmatch(stripped):
        raise ValueError(f"expected {EXPECTED}")
    return sum(float(number) * UNITS[unit] for number, unit in _PART.findall(stripped))


def format_duration(seconds: float) -> str:
    """The shortest exact-enough text for ``seconds``: 90 -> "1m30s", 0.5 -> "500ms".

    Used in summaries and messages; ``parse_duration(format_duration(x))`` gives back ``x``
    to the millisecond.
    """
    if seconds == 0:
        return "0s"
    if seconds < 1:
        return f"{round(seconds * 1000):d}ms"
    remaining = round(seconds * 1000)
    parts: list[str] = []
    for unit, size in UNITS.items():
        step = round(size * 1000)
        if unit == "w":
            # "14d" and "90d" read better than "2w" and "12w6d".
            continue
        count, remaining = divmod(remaining, step)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
