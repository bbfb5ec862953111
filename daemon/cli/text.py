"""Plain-text output the commands share: aligned tables and "5m ago" times."""

from __future__ import annotations

from collections.abc import Sequence


def table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart, the first row a heading; no trailing blanks."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    )


def ago(ts: float | None, now: float) -> str:
    from syncwright.daemon.durations import format_duration

    if ts is None:
        return "never"
    return format_duration(max(0, round(now - ts))) + " ago"
