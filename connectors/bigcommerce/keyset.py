"""Change feeds by (date_modified, id) over BigCommerce's page-numbered listings.

Page numbers shift when an item read on an earlier page is modified during the pass (it moves
to the end, and everything after it one place forward, so an item would be skipped). So no page
number is kept between calls: a page after the key (T, id) asks first for the rest of second T
(``modified = T``, ``id > id``), then for what is newer than T (``modified >= T + 1 s``). Each
page asks for one item more than it returns; when that item is in a later second, the next page
needs no second-T query (one call per page, the minimum). BigCommerce's times have whole-second
precision and its ``:min``/``:max`` bounds are inclusive.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Generic, TypeVar

from syncwright.connectors.base import ChangeQuery, Page
from syncwright.connectors.bigcommerce import wire

R = TypeVar("R")
#: fetch(low, high, min_id, limit) -> (rows in (time, id) order, more exist)
Fetch = Callable[[str | None, str | None, int | None, int], Awaitable[tuple[list[Any], bool]]]


class Keyset(Generic[R]):
    def __init__(
        self,
        fetch: Fetch,
        record: Callable[[Any], R],
        key: Callable[[R], tuple[str, str]],
        max_page: int,
    ) -> None:
        self.fetch = fetch
        self.record = record
        self.key = key
        self.max_page = max_page
        #: Keys known to end their second (the item after them is in a later one).
        self._clean: set[tuple[str, str]] = set()

    async def page(self, query: ChangeQuery) -> Page[R]:
        want = max(1, min(query.limit, self.max_page - 1))
        items: list[R] = []
        peeked: R | None = None
        more = False
        low = query.since
        if query.after is not None:
            token, ident = query.after
            if query.after not in self._clean:
                rows, more = await self.fetch(token, token, int(ident) + 1, want + 1)
                got = [self.record(r) for r in rows]
                got = [g for g in got if _order(self.key(g)) > _order(query.after)]
                items, rest = got[:want], got[want:]
                if rest or more:
                    return self._done(items, rest[0] if rest else None, more=True)
            low = _next_second(token)
        rows, more = await self.fetch(low, None, None, want - len(items) + 1)
        got = [self.record(r) for r in rows]
        room = want - len(items)
        items += got[:room]
        peeked = got[room] if len(got) > room else None
        return self._done(items, peeked, more=more or peeked is not None)

    def _done(self, items: list[R], peeked: R | None, *, more: bool) -> Page[R]:
        last = self.key(items[-1]) if items else None
        if last is not None and peeked is not None and self.key(peeked)[0] != last[0]:
            self._clean.add(last)
            if len(self._clean) > 256:
                self._clean.pop()
        if not items and more:
            # Nothing returned but more exists: only possible with a broken store; end the
            # pass rather than loop (the next pass starts from the cursor again).
            return Page(items, None, complete=True)
        return Page(items, last, complete=not more)


def _next_second(token: str) -> str:
    when = wire.parse_time(token)
    assert when is not None
    return wire.iso(when + timedelta(seconds=1))


def _order(key: tuple[str, str]) -> tuple[str, int]:
    token, ident = key
    return token, int(ident) if ident.isdigit() else 0
