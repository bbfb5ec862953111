"""Text for the screens: ages, times, bars. Every time is shown relative to the snapshot's
own clock, never the wall clock, so a given snapshot always renders the same."""

from __future__ import annotations

import time

from rich.text import Text

from syncwright.daemon.control.protocol import BudgetRow, WindowRow

BAR = 5


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = max(0, round(seconds))
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if s >= size:
            rest = s % size
            sub = {"d": (3600, "h"), "h": (60, "m"), "m": (1, "s")}[unit]
            tail = f"{rest // sub[0]}{sub[1]}" if rest // sub[0] else ""
            return f"{s // size}{unit}{tail}"
    return f"{s}s"


def ago(ts: float | None, now: float) -> str:
    return "never" if ts is None else f"{duration(now - ts)} ago"


def clock(ts: float | None) -> str:
    """UTC time of day."""
    if ts is None:
        return "-"
    return time.strftime("%H:%M:%SZ", time.gmtime(ts))


def short_clock(ts: float) -> str:
    return time.strftime("%H:%M", time.gmtime(ts))


def stamp(ts: float | None) -> str:
    if ts is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ts))


def bar(used: float, limit: float, width: int = BAR) -> str:
    share = 0.0 if limit <= 0 else min(1.0, used / limit)
    full = round(share * width)
    return "█" * full + "░" * (width - full)


def window_cell(window: WindowRow) -> Text:
    share = 0.0 if window.limit <= 0 else window.used / window.limit
    style = "red" if share >= 0.9 else "yellow" if share >= 0.7 else "green"
    text = Text(f"{window.name[:3]} ")
    text.append(bar(window.used, window.limit), style=style)
    text.append(f"{share:4.0%}")
    if window.resets_at is not None:
        text.append(f" ↻{short_clock(window.resets_at)}", style="dim")
    return text


def budget_share(budget: BudgetRow | None) -> Text:
    """A budget in five characters for a table row: its fullest window's share ("95%"), or
    "BLOCK" while it is blocked (the bars are in the overview's budget panel)."""
    if budget is None:
        return Text("  -  ", style="dim")
    if budget.blocked_until is not None:
        return Text("BLOCK", style="bold white on red")
    shares = [w.used / w.limit for w in budget.windows if w.limit > 0]
    share = max(shares, default=0.0)
    style = "red" if share >= 0.9 else "yellow" if share >= 0.7 else "green"
    return Text(f"{share:5.0%}", style=style)


def budget_cell(budget: BudgetRow | None, now: float) -> Text:
    if budget is None:
        return Text("-")
    text = Text(f"{budget.system} ", style="bold")
    if budget.blocked_until is not None:
        left = duration(budget.blocked_until - now)
        text.append(
            f"BLOCKED {left}, to {short_clock(budget.blocked_until)}", style="bold white on red"
        )
        return text
    for i, window in enumerate(budget.windows):
        if i:
            text.append(" ")
        text.append_text(window_cell(window))
    return text


STATE_STYLES = {
    "running": "green",
    "paused": "yellow",
    "auth_failed": "bold red",
    "backing_off": "red",
    "stopped": "dim",
}


def state_cell(state: str) -> Text:
    return Text(state.replace("_", " "), style=STATE_STYLES.get(state, ""))
