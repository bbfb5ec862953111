"""Where a page is and where the next one is, for each paging style of a manifest.

A position is an opaque string the daemon keeps between pages (``Page.next_key[1]`` and
``ListQuery.after``): the next request's parameters (``next_params``), a page number, an
offset, a cursor token, or a URL. None is the first page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from syncwright.connectors.errors import PayloadError
from syncwright.connectors.rest.manifest import Paging
from syncwright.connectors.rest.mapping import search


@dataclass(frozen=True, slots=True)
class Step:
    """The request of one page: a path (or absolute URL) and its query parameters."""

    path: str
    params: dict[str, Any]


def first_or_next(
    paging: Paging, path: str, params: dict[str, Any], position: str | None, limit: int
) -> Step:
    """The request for the page at ``position`` (None: the first)."""
    params = dict(params)
    if paging.limit_param and paging.style != "none":
        params[paging.limit_param] = limit
    if position is None:
        if paging.style == "page":
            params[paging.param] = paging.first
        elif paging.style == "offset":
            params[paging.param] = 0
        return Step(path, params)
    value = _decode(position)
    if paging.style == "next_params":
        if not isinstance(value, dict):
            raise PayloadError(f"a paging position {position!r} is not a set of parameters")
        params.update(value)
    elif paging.style in ("page", "offset", "cursor"):
        params[paging.param] = value
    elif paging.style in ("next_url", "link"):
        # The server's own URL carries every parameter it needs.
        return Step(str(value), {})
    return Step(path, params)


def next_position(
    paging: Paging,
    position: str | None,
    body: Any,
    response: httpx.Response,
    count: int,
    limit: int,
) -> str | None:
    """The position of the page after this one, or None when this one is the last."""
    style = paging.style
    if style == "none":
        return None
    if style in ("page", "offset"):
        more = count >= limit if paging.more is None else bool(search(paging.more, body))
        if not more:
            return None
        current = paging.first if style == "page" else 0
        if position is not None:
            current = int(_decode(position))
        # An offset moves by the page asked for: a server that filters after applying its
        # limit answers short pages that still cover ``limit`` rows (``max_page`` must not
        # exceed the server's own cap, or rows would be skipped).
        return _encode(current + (1 if style == "page" else limit))
    if style == "link":
        link = response.links.get("next", {}).get("url")
        return None if not link else _encode(str(response.url.join(link)))
    assert paging.next is not None
    found = search(paging.next, body)
    if found is None or found == "" or found == {}:
        return None
    if style == "next_url":
        return _encode(str(response.url.join(str(found))))
    if style == "next_params" and not isinstance(found, dict):
        raise PayloadError(f"the next page's parameters are not an object: {found!r}")
    return _encode(found)


def _encode(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _decode(position: str) -> Any:
    try:
        return json.loads(position)
    except ValueError:
        raise PayloadError(f"a paging position {position!r} is not ours") from None
