"""What an HTTP answer means to each connector (issue 13 items 4, 5 and 16): the status
mapping (408 and 425 transient everywhere; 409 per platform), a Retry-After given as an HTTP
date read on the server's clock (its Date header), and a 200 whose body is cut off."""

from __future__ import annotations

import email.utils
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest

from syncwright.connectors.base import OpenGate
from syncwright.connectors.errors import (
    ConnectorError,
    PayloadError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from syncwright.connectors.http import JsonClient, parse_retry_after
from syncwright.connectors.shopify.transport import ShopifyTransport
from syncwright.connectors.tryton.rpc import TrytonRpc
from syncwright.daemon.jobs.retry import ErrorKind, classify

SERVER_NOW = 1_800_000_000.0  # the server's clock; ours is minutes off it below


def http_date(epoch: float) -> str:
    return email.utils.formatdate(epoch, usegmt=True)


def run(fn: Callable[[], Awaitable[None]]) -> None:
    anyio.run(fn)


def test_an_http_date_is_measured_from_the_response_date() -> None:
    # Our clock is 10 minutes ahead of the server's: the server's own Date says 30 s.
    ours = SERVER_NOW + 600
    value, date = http_date(SERVER_NOW + 30), http_date(SERVER_NOW)
    assert parse_retry_after(value, now=ours, date=date) == 30.0
    # Without a Date header our clock is all there is (and the date looks past: retry now).
    assert parse_retry_after(value, now=ours) == 0.0
    # An unreadable Date falls back to our clock as well.
    assert parse_retry_after(value, now=SERVER_NOW, date="yesterday") == 30.0


def test_a_retry_after_in_the_past_means_now_not_unknown() -> None:
    past = http_date(SERVER_NOW - 90)
    assert parse_retry_after(past, date=http_date(SERVER_NOW)) == 0.0
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def _client(status: int, body: bytes = b"{}", headers: dict[str, str] | None = None) -> JsonClient:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(status, content=body, headers=headers or {})
    )
    return JsonClient("http://remote.test", system="remote", transport=transport)


def _raised(client_call: Callable[[], Awaitable[Any]]) -> BaseException:
    caught: list[BaseException] = []

    async def go() -> None:
        try:
            await client_call()
        except ConnectorError as exc:
            caught.append(exc)

    run(go)
    assert caught, "the call should have raised"
    return caught[0]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (408, ErrorKind.TRANSIENT),
        (425, ErrorKind.TRANSIENT),
        (500, ErrorKind.TRANSIENT),
        (503, ErrorKind.TRANSIENT),
        (409, ErrorKind.PERMANENT),  # a clash with an existing record (sandbox, Oscar)
        (422, ErrorKind.PERMANENT),
        (429, ErrorKind.RATE_LIMITED),
    ],
)
def test_json_client_status_mapping(status: int, kind: ErrorKind) -> None:
    client = _client(status)
    assert classify(_raised(lambda: client.request("GET", "/x"))) is kind


def test_json_client_429_with_an_http_date_uses_the_server_clock() -> None:
    headers = {"retry-after": http_date(SERVER_NOW + 12), "date": http_date(SERVER_NOW)}
    client = _client(429, headers=headers)
    exc = _raised(lambda: client.request("GET", "/x"))
    assert isinstance(exc, RateLimitedError)
    assert exc.retry_after == 12.0


@pytest.mark.parametrize("body", [b'{"items": [{"id": 1, "ti', b"<html>proxy error</html>"])
def test_a_200_with_a_cut_off_or_foreign_body_is_transient(body: bytes) -> None:
    client = _client(200, body)
    exc = _raised(lambda: client.request("GET", "/x"))
    assert isinstance(exc, PayloadError)
    assert classify(exc) is ErrorKind.TRANSIENT


def _tryton(status: int) -> TrytonRpc:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=b"{}"))
    return TrytonRpc(
        "http://tryton.test",
        "db",
        user="admin",
        password="pw",
        system="tryton",
        transport=transport,
    )


@pytest.mark.parametrize(
    ("status", "kind"),
    [(408, TransientError), (425, TransientError), (409, PermanentError)],
)
def test_tryton_status_mapping(status: int, kind: type[Exception]) -> None:
    rpc = _tryton(status)
    exc = _raised(lambda: rpc._call("common.version", [], auth=False))
    assert type(exc) is kind


def _shopify(status: int) -> ShopifyTransport:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=b"{}"))
    return ShopifyTransport(
        base_url="http://shop.test",
        version="2025-01",
        token="t",
        system="shopify",
        gate=OpenGate(),
        transport=transport,
    )


@pytest.mark.parametrize(
    ("status", "kind"),
    [(408, TransientError), (425, TransientError), (409, TransientError), (422, PermanentError)],
)
def test_shopify_status_mapping(status: int, kind: type[Exception]) -> None:
    shop = _shopify(status)
    exc = _raised(lambda: shop.call("{ shop { name } }"))
    assert type(exc) is kind


def test_shopify_429_with_an_http_date_uses_the_server_clock() -> None:
    headers = {"retry-after": http_date(SERVER_NOW + 7), "date": http_date(SERVER_NOW)}
    transport = httpx.MockTransport(lambda r: httpx.Response(429, content=b"", headers=headers))
    shop = ShopifyTransport(
        base_url="http://shop.test",
        version="2025-01",
        token="t",
        system="shopify",
        gate=OpenGate(),
        transport=transport,
    )
    exc = _raised(lambda: shop.call("{ shop { name } }"))
    assert isinstance(exc, RateLimitedError) and exc.retry_after == 7.0
