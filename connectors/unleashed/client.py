"""Unleashed's HTTP side: every request signed, the paging envelope read, failures mapped.

Requests go through the shared JsonClient (connectors/http.py), so every call is spent from
the budget's gate and its status and headers are reported back. A transport wrapper adds the
signature headers to each request from the query string actually sent.

Failures, beyond JsonClient's mapping:
- the monthly quota refusal (``quota_status``, 429 by default, with a body naming the usage
  limit) is a RateLimitedError whose ``retry_after`` runs to the 1st of next month 00:00 UTC,
  measured on the server's ``Date`` when it sends one;
- 400 bodies carry ``Description`` (and sometimes ``Items`` of field errors): the message;
- a 200 whose body is cut short or not JSON is transient (the transfer broke; ask again).
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from syncwright.connectors.base import CallGate
from syncwright.connectors.errors import (
    PayloadError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from syncwright.connectors.http import JsonClient
from syncwright.connectors.unleashed.wire import sign

#: Resources whose pages are ``/<Resource>/Page/<n>`` rather than ``/<Resource>/<n>``.
PAGE_SEGMENT = {"SalesOrders": "Page/"}


class SigningTransport(httpx.AsyncBaseTransport):
    """Adds ``api-auth-id``, ``api-auth-signature`` and ``client-type`` to every request."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, api_id: str, api_key: str, client_type: str
    ) -> None:
        self.inner = inner
        self._id = api_id
        self._key = api_key
        self._client_type = client_type

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        query = request.url.query.decode("ascii")
        request.headers["api-auth-id"] = self._id
        request.headers["api-auth-signature"] = sign(self._key, query)
        request.headers["client-type"] = self._client_type
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass(frozen=True, slots=True)
class PageOf:
    items: list[dict[str, Any]]
    number: int
    pages: int
    total: int

    @property
    def last(self) -> bool:
        return self.number >= self.pages


def next_reset(now: datetime) -> datetime:
    """The 1st of the month after ``now``, 00:00 UTC: when Unleashed's quota starts again."""
    now = now.astimezone(UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


class UnleashedClient(JsonClient):
    def __init__(
        self,
        base_url: str,
        *,
        system: str,
        gate: CallGate,
        api_id: str,
        api_key: str,
        client_type: str,
        quota_status: int = 429,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        inner = transport or httpx.AsyncHTTPTransport()
        super().__init__(
            base_url,
            system=system,
            gate=gate,
            headers={"accept": "application/json", "content-type": "application/json"},
            timeout=timeout,
            transport=SigningTransport(inner, api_id, api_key, client_type),
        )
        self.quota_status = quota_status

    async def page(
        self, resource: str, number: int, params: Mapping[str, Any] | None = None
    ) -> PageOf:
        """One page (1-based) of a listing, read from its ``Pagination`` envelope."""
        path = f"/{resource}/{PAGE_SEGMENT.get(resource, '')}{number}"
        body = await self.request("GET", path, params=params)
        return self.envelope(body, f"GET {path}")

    def envelope(self, body: Any, what: str) -> PageOf:
        pagination = body.get("Pagination") if isinstance(body, dict) else None
        items = body.get("Items") if isinstance(body, dict) else None
        if not isinstance(pagination, dict) or not isinstance(items, list):
            raise PayloadError(f"{what}: no Pagination and Items", system=self.system)
        numbers = [pagination.get(k) for k in ("PageNumber", "NumberOfPages", "NumberOfItems")]
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
            raise PayloadError(f"{what}: unreadable Pagination", system=self.system)
        if not all(isinstance(item, dict) for item in items):
            raise PayloadError(f"{what}: an item is not an object", system=self.system)
        return PageOf(items, numbers[0], numbers[1], numbers[2])  # type: ignore[arg-type]

    async def get_one(self, path: str) -> dict[str, Any] | None:
        """A single record by its path; None when Unleashed says it does not exist (404, or
        an empty ``Items`` envelope as single-record reads answer)."""
        try:
            body = await self.request("GET", path)
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise
        if isinstance(body, dict) and "Items" in body:
            items = body["Items"]
            return items[0] if isinstance(items, list) and items else None
        return body if isinstance(body, dict) and body else None

    def _check(self, method: str, path: str, response: httpx.Response) -> None:
        status = response.status_code
        if status == self.quota_status and _says_quota(response):
            raise RateLimitedError(
                f"{method} {path}: the monthly API quota of this Unleashed account is spent;"
                " requests are refused until it resets on the 1st (UTC)",
                retry_after=_until_reset(response.headers),
                system=self.system,
                status=status,
            )
        if 400 <= status < 500 and status not in (401, 403, 408, 425, 429):
            raise PermanentError(
                f"{method} {path} was rejected: {_description(response)}",
                system=self.system,
                status=status,
            )
        super()._check(method, path, response)

    def decode(self, method: str, path: str, response: httpx.Response) -> Any:
        try:
            return super().decode(method, path, response)
        except PayloadError as exc:
            raise TransientError(
                f"{method} {path} returned a body cut short or not JSON", system=self.system
            ) from exc


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _says_quota(response: httpx.Response) -> bool:
    body = _body(response)
    text = str(body.get("Description", "")) if isinstance(body, dict) else response.text
    return "limit" in text.lower() or "quota" in text.lower()


def _description(response: httpx.Response) -> str:
    body = _body(response)
    if not isinstance(body, dict):
        return response.text[:300] or response.reason_phrase
    parts = [str(body.get("Description") or body.get("description") or "")]
    items = body.get("Items")
    if isinstance(items, list):
        parts += [str(i.get("Description", i)) for i in items[:5] if isinstance(i, dict)]
    return "; ".join(p for p in parts if p)[:300] or response.reason_phrase


def _until_reset(headers: Mapping[str, str]) -> float:
    sent = headers.get("date")
    now = datetime.now(UTC)
    if sent:
        try:
            now = email.utils.parsedate_to_datetime(sent).astimezone(UTC)
        except (TypeError, ValueError, IndexError):
            pass
    return max(1.0, (next_reset(now) - now).total_seconds())
