"""Change passes over Unleashed's page-numbered listings.

Unleashed pages by number (``/Products/2``), filters by ``modifiedSince`` in whole seconds and
orders by ``LastModifiedOn`` only when asked (``orderBy``), with no documented order among
equal times. A pass keyed by ``(token, id)`` asks again from the second before its last key
(page 1) and keeps only the rows after the key. Rows at the page's last time are held back
when more pages follow, because their equals may sit on the next page in any order; they come
first on the next ask.

When nothing is left before the page's last time (a crowd of equal times as large as a page,
e.g. after a bulk import), the pass walks on by page number instead: the key's id becomes
``"~<next page>"`` and the following pages are read in turn to the last one. A record edited
during such a walk moves to the end and may shift one row back a page; that one case is what
ghost sweeps and the overlap are for.

Listings (full sync, audit) walk page numbers too: a page's ``last_key`` is its last item,
its ``next_key`` the position ``"<page>/<page size>"`` the next page starts at (ordered by
``CreatedOn``, so new records land on the last page).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from syncwright.connectors.base import ChangeQuery
from syncwright.connectors.unleashed.client import UnleashedClient
from syncwright.connectors.unleashed.wire import since_filter

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Batch:
    rows: list[tuple[Key, dict[str, Any]]]
    complete: bool
    #: Where a page-number walk goes on (``(token, "~N")``), when the pass walks.
    next_key: Key | None = None


WALK = "~"


async def changed(
    client: UnleashedClient,
    resource: str,
    params: Mapping[str, Any],
    query: ChangeQuery,
    key_of: Callable[[dict[str, Any]], Key],
    page_size: int,
) -> Batch:
    """The rows after the query's key (or at/after ``since``) in (token, id) order."""
    after = query.after
    bound = after[0] if after is not None else query.since
    ask = {**params, "orderBy": "LastModifiedOn", "pageSize": page_size}
    if bound is not None:
        ask["modifiedSince"] = since_filter(bound)
    number = 1
    if after is not None and after[1].startswith(WALK) and after[1][1:].isdigit():
        number = int(after[1][1:])
        page = await client.page(resource, number, ask)
        rows = sorted(((key_of(row), row) for row in page.items), key=lambda kr: kr[0])
        top = rows[-1][0][0] if rows else after[0]
        return Batch(rows, page.last, None if page.last else (top, f"{WALK}{number + 1}"))

    def wanted(key: Key) -> bool:
        if after is not None:
            return key > after
        return query.since is None or key[0] >= query.since

    page = await client.page(resource, number, ask)
    rows = sorted(((key_of(row), row) for row in page.items), key=lambda kr: kr[0])
    fresh = [(key, row) for key, row in rows if wanted(key)]
    if page.last:
        return Batch(fresh, complete=True)
    top = rows[-1][0][0] if rows else (bound or "")
    before = [(key, row) for key, row in fresh if key[0] < top]
    if before:
        return Batch(before, complete=False)
    return Batch(fresh, complete=False, next_key=(top, f"{WALK}{number + 1}"))


def listing_position(after: str | None, size: int) -> tuple[int, int]:
    """The page number and page size a listing key names (page 1 of ``size`` for none)."""
    if after:
        number, _, was = after.partition("/")
        if number.isdigit() and was.isdigit() and int(number) > 0 and int(was) > 0:
            return int(number), int(was)
    return 1, size


def listing_key(number: int, size: int) -> Key:
    return ("", f"{number}/{size}")
