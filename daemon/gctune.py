"""Garbage-collector settings for a long-running daemon that builds records by the million.

CPython starts a young-generation collection every 700 net container allocations. A full sync
allocates several dicts, tuples and models per item, so with the defaults the collector runs
about forty times per thousand products and costs a tenth of the daemon's CPU (measured on
``scripts/bench_sync.py``: 0.34 s of 3.1 s for 20,000 products), nearly all of it spent finding
no garbage: records are freed by reference counting the moment a page is done.

So the daemon, once started, moves everything it has imported and built into the permanent
generation (``gc.freeze``: never scanned again) and collects the young generation every
YOUNG net allocations. Reference cycles are still collected, only in larger steps: the young
generation holds at most YOUNG objects (some megabytes) between collections.
"""

from __future__ import annotations

import gc

#: Net container allocations between young-generation collections (CPython's default: 700).
YOUNG = 50_000
#: Young collections per middle one, middle ones per full one (CPython's defaults: 10, 10).
MIDDLE = 20
OLD = 10


def tune() -> None:
    """Freeze what start-up built and collect in larger steps; call once, just before the
    daemon's event loop starts."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, MIDDLE, OLD)
