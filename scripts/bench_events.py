"""Benchmark of the event hub (daemon/events_bus.py): what publishing costs the daemon with
and without subscribers, and how much a 10,000-event burst sends one client.

    .venv/bin/python scripts/bench_events.py [--write]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import update_section

from syncwright.daemon.control.feed import LineCache
from syncwright.daemon.events_bus import Event, EventHub

HEADING = "Live events hub (scripts/bench_events.py)"


def guarded_publish_ns(hub: EventHub, n: int) -> float:
    """Nanoseconds per publish site, as the daemon writes it (flag check first)."""
    start = time.perf_counter_ns()
    for i in range(n):
        if hub.active:
            hub.publish(Event("job.done", 1.0, connection="demo", job=i, kind="pull", cls=2))
    return (time.perf_counter_ns() - start) / n


def burst(subscribers: int, connections: int, n: int = 10_000) -> tuple[float, int, int]:
    """Publish ``n`` job completions to ``subscribers``; µs per publish, and what one client
    gets: lines and bytes (detailed shape)."""
    hub = EventHub()
    subs = [hub.subscribe() for _ in range(subscribers)]
    events = [
        Event("job.done", 1.0, connection=f"c{i % connections}", job=i, kind="pull", cls=2)
        for i in range(n)
    ]
    start = time.perf_counter()
    for event in events:
        hub.publish(event)
    per = (time.perf_counter() - start) / n * 1e6
    cache = LineCache()
    lines = [cache.line(e, detailed=True) for e in subs[0].drain()]
    return per, len(lines), sum(map(len, lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    idle = min(guarded_publish_ns(EventHub(), 1_000_000) for _ in range(3))
    rows = [
        (
            "publish site, no subscriber (flag check)",
            f"{idle:.0f} ns",
            "next to nothing (< 100 ns)",
            "yes" if idle < 100 else "no",
        )
    ]
    for subscribers, connections in ((1, 1), (10, 1), (10, 1000)):
        per, lines, size = burst(subscribers, connections)
        rows.append(
            (
                f"10,000 job.done burst, {subscribers} subscriber(s), {connections:,} "
                "connection(s): cost per publish; what one client gets",
                f"{per:.1f} µs; {lines} lines, {size / 1024:.1f} KiB",
                "< 64 KiB per client",
                "yes" if size < 64 * 1024 else "no",
            )
        )
    table = "| Measure | Result | Target | Met |\n|---|---|---|---|\n" + "\n".join(
        "| " + " | ".join(r) + " |" for r in rows
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"Run {when} with `.venv/bin/python scripts/bench_events.py --write` on "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()} "
        f"(2 cores shared with other work).\n\n{table}\n"
    )
    print(body)
    if args.write:
        update_section(Path(__file__).resolve().parent.parent / "BENCHMARKS.md", HEADING, body)


if __name__ == "__main__":
    main()
