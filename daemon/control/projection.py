"""When a budget window runs out at the current burn rate (a simple linear projection).

A fuller planner lives elsewhere; this is the one place the control socket estimates it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from syncwright.daemon.budget.budget import WindowStats
from syncwright.daemon.budget.windows import calendar_period

#: Rolling window lengths in seconds (a rolling month counts 30 days).
ROLLING_SECONDS = {
    "second": 1.0,
    "minute": 60.0,
    "hour": 3600.0,
    "day": 86_400.0,
    "month": 30 * 86_400.0,
}


def runs_out_at(window: WindowStats, now: float) -> float | None:
    """The time the window's limit is reached if spending goes on at the average rate seen
    in the window so far; None when that is after the window resets (or nothing was spent)."""
    if window.used <= 0:
        return None
    if window.remaining <= 0:
        return now
    if window.mode == "calendar":
        start, _ = calendar_period(window.name, ZoneInfo(window.timezone), now)
        elapsed = max(1.0, now - start)
    else:
        elapsed = ROLLING_SECONDS.get(window.name, 86_400.0)
    rate = window.used / elapsed
    when = now + window.remaining / rate
    if window.resets_at is not None and when >= window.resets_at:
        return None
    return when
