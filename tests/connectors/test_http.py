"""The shared JSON client keeps a path's own query and adds its params to it."""

from __future__ import annotations

import httpx

from syncwright.connectors.http import request_url


def test_a_next_link_keeps_its_query_without_params() -> None:
    nxt = "http://h/x/?limit=100&offset=100"
    assert str(request_url(nxt, None)) == nxt
    assert str(request_url(nxt, {})) == nxt
    assert str(request_url(nxt, {"skip": None})) == nxt


def test_params_are_added_to_the_query_a_path_has() -> None:
    assert request_url("/x/?limit=5", {"offset": 10}) == httpx.URL("/x/?limit=5&offset=10")
    assert request_url("/x/", {"a": 1, "b": None}) == httpx.URL("/x/?a=1")
