"""The rest connector on the wire, against httpx mock transports: every auth style, every
paging style, and statuses and error bodies mapped to the contract's error classes."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from rest_helpers import rest_spec

from syncwright.connectors.base import ChangeQuery, ListQuery, OpenGate
from syncwright.connectors.errors import (
    AuthError,
    FixableError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from syncwright.connectors.rest.source import RestSource
from syncwright.connectors.rest.writes import build
from syncwright.daemon.jobs.retry import ErrorKind, classify

Handler = Callable[[httpx.Request], httpx.Response]


def manifest(
    auth: dict[str, Any] | None = None, paging: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    entity = {
        "listing": {"path": "/things", "records": "rows"},
        "paging": paging or {"style": "none"},
        "max_page": 2,
        "id": "to_string(n)",
        "fields": {"external_id": "to_string(n)", "title": "name", "handle": "name"},
    }
    stock = {
        "listing": {"path": "/stock", "records": "rows"},
        "fields": {"sku": "sku", "location": "'main'", "quantity": "qty"},
        "id": "sku",
    }
    return {
        "auth": auth or {"kind": "none"},
        "entities": {"products": entity, "stock": stock},
        **extra,
    }


def make(handler: Handler, described: dict[str, Any], secret: str = "s3cret") -> RestSource:
    spec = rest_spec("http://api.test", described, secret)
    return build(spec, OpenGate(), transport=httpx.MockTransport(handler))


def rows(*numbers: int) -> dict[str, Any]:
    return {"rows": [{"n": n, "name": f"thing-{n}"} for n in numbers]}


def listing(source: RestSource, limit: int = 2) -> list[list[str]]:
    """Every page of the product listing, as ids per page."""

    async def main() -> list[list[str]]:
        pages, after = [], None
        try:
            for _ in range(10):
                page = await source.list_products(ListQuery(after=after, limit=limit))
                pages.append([p.external_id for p in page.items])
                if page.complete:
                    return pages
                assert page.resume_key is not None
                after = page.resume_key[1]
        finally:
            await source.aclose()
        raise AssertionError("paging never ends")

    return anyio.run(main)


def one_call(source: RestSource) -> None:
    async def main() -> None:
        try:
            await source.list_products(ListQuery(after=None, limit=2))
        finally:
            await source.aclose()

    anyio.run(main)


# -- auth ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "check"),
    [
        ({"kind": "bearer"}, lambda r: r.headers["authorization"] == "Bearer s3cret"),
        (
            {"kind": "basic", "username": "me"},
            lambda r: r.headers["authorization"] == httpx.BasicAuth("me", "s3cret")._auth_header,
        ),
        ({"kind": "header", "name": "X-Key"}, lambda r: r.headers["x-key"] == "s3cret"),
        ({"kind": "query", "name": "key"}, lambda r: r.url.params["key"] == "s3cret"),
    ],
)
def test_each_simple_auth_style(
    auth: dict[str, Any], check: Callable[[httpx.Request], bool]
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=rows(1))

    one_call(make(handler, manifest(auth)))
    assert check(seen[0])


def test_hmac_signs_the_request_with_the_time() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=rows(1))

    auth = {"kind": "hmac", "name": "X-Sig", "template": "{method} {path}?{query} {timestamp}"}
    one_call(make(handler, manifest(auth)))
    request = seen[0]
    stamp = request.headers["x-timestamp"]
    signed = f"GET /things?{request.url.query.decode()} {stamp}"
    expected = hmac.new(b"s3cret", signed.encode(), hashlib.sha256).hexdigest()
    assert request.headers["x-sig"] == expected


def test_oauth2_caches_its_token_and_renews_it_once_on_a_401() -> None:
    tokens: list[str] = []
    valid = {"t1"}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            form = dict(httpx.QueryParams(request.content.decode()))
            assert form["client_secret"] == "s3cret" and form["client_id"] == "app"
            tokens.append(f"t{len(tokens) + 1}")
            return httpx.Response(200, json={"access_token": tokens[-1], "expires_in": 600})
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in valid:
            return httpx.Response(401, json={"error": "expired"})
        return httpx.Response(200, json=rows(1))

    source = make(handler, manifest({"kind": "oauth2", "token_url": "/token", "username": "app"}))

    async def main() -> None:
        try:
            for _ in range(3):
                await source.list_products(ListQuery(after=None, limit=2))
            assert tokens == ["t1"]
            valid.clear()
            valid.add("t2")  # the server revoked t1
            await source.list_products(ListQuery(after=None, limit=2))
            assert tokens == ["t1", "t2"]
            valid.clear()  # and now refuses every token: an AuthError, not a loop
            with pytest.raises(AuthError):
                await source.list_products(ListQuery(after=None, limit=2))
        finally:
            await source.aclose()

    anyio.run(main)


# -- paging --------------------------------------------------------------------------------

DATA = list(range(1, 6))


def test_page_numbers_while_pages_are_full() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page, size = int(request.url.params["p"]), int(request.url.params["limit"])
        return httpx.Response(200, json=rows(*DATA[(page - 1) * size : page * size]))

    pages = listing(make(handler, manifest(paging={"style": "page", "param": "p"})))
    assert pages == [["1", "2"], ["3", "4"], ["5"]]


def test_offsets_with_a_more_flag_so_a_short_page_is_not_the_end() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["skip"])
        # The server drops row 2 after applying the limit: a short first page, with more.
        shown = [n for n in DATA[start : start + 2] if n != 2]
        return httpx.Response(200, json={**rows(*shown), "has_more": start + 2 < len(DATA)})

    paging = {"style": "offset", "param": "skip", "more": "has_more"}
    assert listing(make(handler, manifest(paging=paging))) == [["1"], ["3", "4"], ["5"]]


def test_a_cursor_token_in_the_body() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("cursor", "c0")[1:])
        chunk = DATA[start : start + 2]
        more = start + 2 < len(DATA)
        return httpx.Response(
            200, json={**rows(*chunk), "cursor": f"c{start + 2}" if more else None}
        )

    paging = {"style": "cursor", "param": "cursor", "next": "cursor"}
    assert listing(make(handler, manifest(paging=paging))) == [["1", "2"], ["3", "4"], ["5"]]


def test_a_next_url_in_the_body_relative_to_the_api() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("from", "0"))
        more = start + 2 < len(DATA)
        nxt = f"/things?from={start + 2}&limit=2" if more else None
        return httpx.Response(200, json={**rows(*DATA[start : start + 2]), "links": {"next": nxt}})

    paging = {"style": "next_url", "next": "links.next"}
    assert listing(make(handler, manifest(paging=paging))) == [["1", "2"], ["3", "4"], ["5"]]


def test_changes_ask_for_since_once_and_follow_the_link_header() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        start = int(request.url.params.get("from", "0"))
        headers = {}
        if start + 2 < len(DATA):
            headers["link"] = f'<http://api.test/things?from={start + 2}&since=x>; rel="next"'
        body = {
            "rows": [{"n": n, "name": "x", "at": 1767323045 + n} for n in DATA[start : start + 2]]
        }
        return httpx.Response(200, json=body, headers=headers)

    described = manifest(paging={"style": "link"})
    products = described["entities"]["products"]
    products["feed"] = {
        "style": "modified_since",
        "param": "since",
        "token": "at",
        "format": "epoch",
    }
    products["changes"] = products["listing"]
    described["entities"]["stock"]["feed"] = products["feed"]
    source = make(handler, described)

    async def main() -> list[tuple[str, str] | None]:
        keys, after = [], None
        try:
            for _ in range(5):
                page = await source.changed_products(
                    ChangeQuery(since="2026-01-02T03:04:05Z", after=after, limit=2)
                )
                keys.append(page.last_key)
                if page.complete:
                    return keys
                after = page.resume_key
        finally:
            await source.aclose()
        raise AssertionError("never ends")

    keys = anyio.run(main)
    assert seen[0].params["since"] == "1767323045"
    assert [k[0] for k in keys if k] == [
        "2026-01-02T03:04:07Z",
        "2026-01-02T03:04:09Z",
        "2026-01-02T03:04:10Z",
    ]
    assert len(seen) == 3


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "body", "error", "retry_after"),
    [
        (429, {"retry-after": "7"}, {}, RateLimitedError, 7.0),
        (503, {}, {}, TransientError, None),
        (401, {}, {}, AuthError, None),
        (418, {"x-reset-in": "12"}, {}, RateLimitedError, 12.0),
        (409, {}, {"error": {"message": "locked by another user"}}, TransientError, None),
        (422, {}, {"error": {"message": "name is too long"}}, PermanentError, None),
    ],
)
def test_statuses_and_error_bodies_map_to_error_classes(
    status: int,
    headers: dict[str, str],
    body: Any,
    error: type[Exception],
    retry_after: float | None,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    described = manifest(
        errors={"rate_limited": [429, 418], "transient": [409], "message": "error.message"},
        rate_limit={"reset_after": "X-Reset-In"},
    )
    with pytest.raises(error) as info:
        one_call(make(handler, described))
    if retry_after is not None:
        assert info.value.retry_after == retry_after  # type: ignore[attr-defined]
    if status == 422:
        assert "name is too long" in str(info.value)


def test_an_error_inside_a_200_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": False, "error": {"message": "no access"}})

    described = manifest(errors={"error_in_ok": "ok == `false`", "message": "error.message"})
    with pytest.raises(PermanentError, match="no access"):
        one_call(make(handler, described))


def test_a_record_that_does_not_map_names_itself_and_the_field() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"rows": [{"n": 3, "name": None}]})

    # The manifest (or the record) needs a person: retried with backoff and shown meanwhile,
    # never a job that dies at once nor a silent transient retry.
    with pytest.raises(FixableError, match="product 3 cannot be mapped: title") as info:
        one_call(make(handler, manifest()))
    assert classify(info.value) is ErrorKind.FIXABLE
    assert "syncwright probe" in str(info.value)


def test_a_body_that_is_not_json_is_a_payload_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"rows": [')

    with pytest.raises(PermanentError, match="not JSON"):
        one_call(make(handler, manifest()))


def test_resumed_changes_go_on_past_an_empty_first_page() -> None:
    # The server filters after its limit: the first page is empty and still has a next page.
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        found = [] if page == 1 else [{"n": n, "name": "x", "at": 1767323045} for n in (3, 4)]
        return httpx.Response(200, json={"rows": found, "more": page == 1})

    described = manifest(paging={"style": "page", "more": "more"})
    products = described["entities"]["products"]
    products["feed"] = {"style": "modified_since", "token": "at", "format": "epoch"}
    products["feed"]["resume"] = "since"
    products["changes"] = products["listing"]
    described["entities"]["stock"]["feed"] = products["feed"]
    source = make(handler, described)

    async def main() -> list[str]:
        try:
            first = await source.changed_products(ChangeQuery(since=None, after=None, limit=2))
            assert first.items == [] and not first.complete
            second = await source.changed_products(
                ChangeQuery(since=None, after=first.resume_key, limit=2)
            )
            return [p.external_id for p in second.items]
        finally:
            await source.aclose()

    assert anyio.run(main) == ["3", "4"]


@pytest.mark.parametrize("body", [{"rows": {"not": "a list"}}, {"other": []}, {"rows": None}])
def test_a_page_without_its_record_list_is_a_payload_error(body: Any) -> None:
    # Taken for an empty last page, a malformed answer would end a pass early.
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    with pytest.raises(PermanentError, match="found no list"):
        one_call(make(handler, manifest()))


def test_an_expression_failing_on_the_answer_is_a_payload_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"rows": [{"n": 1, "name": {"an": "object"}}]})

    described = manifest()
    described["entities"]["products"]["fields"]["title"] = "join(', ', name)"
    with pytest.raises(PermanentError, match="failed"):
        one_call(make(handler, described))
