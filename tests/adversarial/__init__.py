"""An adversarial back office for change-feed tests: our own source (not the sandbox ERP's code)
that speaks the sandbox ERP's wire on loopback, so the real daemon and its real connector read
it, and plays, switchably and seeded, what hostile sources do (issue 13, "Proof in the suite").

    feed.py     the source's data and clock: one-second timestamps, edits, inserts, late
                commits, deletions by marker and by absence, rows hidden by a filter applied
                after the page limit (empty and short pages that still have a next)
    faults.py   what goes wrong per request, seeded: 429 with Retry-After in seconds or as an
                HTTP date (on the source's clock), 5xx, timeouts, truncated and malformed
                bodies, slow pages, a listing failing half-way
    server.py   the HTTP server (Starlette under uvicorn, in a thread) and per-page hooks
    check.py    a daemon config for it, and "does the channel equal the source?"

A connector author reuses it by serving a ``Feed`` through another wire (a server module like
server.py) and keeping the scenarios: ARCHITECTURE.md ("Testing change feeds") says how.
"""

from __future__ import annotations

from adversarial.check import Comparison, compare, write_config
from adversarial.faults import Faults
from adversarial.feed import Feed
from adversarial.server import FeedServer

__all__ = ["Comparison", "Faults", "Feed", "FeedServer", "compare", "write_config"]
