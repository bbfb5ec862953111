"""Change pages that resume from the last change time read (``feed.resume = "since"``).

An API that pages its change feed by page number, offset, cursor or link, sorted by change
time, shifts under a pass: an item edited while the pass pages moves to the end, every item
after it moves one place up, and the next page starts one item too late. The item skipped
keeps its old time, before the next pass's lower bound: it would be lost for good.

So each page of a pass asks again from the last change time read (inclusive) and drops what
it read already: records before that time, and those at it whose ids it holds. Only when a
whole page shares one time does the pass follow the server's own next page (with that time
still the lower bound). The position kept between pages is ``{"since", "seen", "pos"}``;
``since`` "" is no lower bound (a pass from the beginning whose first page was empty).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.rest.mapping import Mapped, parse_time


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a resumed page starts: the lower bound, the ids read at it, the server's page."""

    since: str
    seen: tuple[str, ...]
    pos: str | None

    def encode(self) -> str:
        body = {"since": self.since, "seen": list(self.seen), "pos": self.pos}
        return json.dumps(body, separators=(",", ":"))


def decode(position: str) -> Anchor:
    try:
        data = json.loads(position)
        return Anchor(str(data["since"]), tuple(str(i) for i in data["seen"]), data["pos"])
    except (ValueError, KeyError, TypeError):
        raise PayloadError(f"a change position {position!r} is not ours") from None


def _order(token: str, version: bool) -> Any:
    return int(token) if version else parse_time(token)


def fresh(mapped: list[Mapped[Any]], anchor: Anchor | None, version: bool) -> list[Mapped[Any]]:
    """The records of a page not read before in this pass."""
    if anchor is None or not anchor.since:
        return mapped
    low = _order(anchor.since, version)
    seen = set(anchor.seen)
    kept = []
    for m in mapped:
        at = _order(m.token, version)
        if at > low or (at == low and m.id not in seen):
            kept.append(m)
    return kept


def next_anchor(
    mapped: list[Mapped[Any]], anchor: Anchor | None, since: str | None, server_next: str | None
) -> Anchor | None:
    """Where the next page starts after a page read from ``anchor`` (None: the pass's first
    page, from ``since``), or None when the server says this was the last page."""
    if server_next is None:
        return None
    if not mapped:  # a page of nothing but filtered rows: follow the server
        if anchor is None:
            return Anchor(since or "", (), server_next)
        return Anchor(anchor.since, anchor.seen, server_next)
    last = mapped[-1].token
    at_last = tuple(m.id for m in mapped if m.token == last)
    if anchor is not None and last == anchor.since:
        # The whole page shares the bound's time: go on with the server's next page.
        return Anchor(last, anchor.seen + at_last, server_next)
    return Anchor(last, at_last, None)
