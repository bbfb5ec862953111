"""A shared JSON-over-HTTP client: spends from the call gate, maps failures to connector errors.

Every request first asks the gate for ``cost`` units, then reports the response's status and
headers back so the budget can learn from the server's quota headers and Retry-After.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from syncwright.connectors.base import CallGate, OpenGate
from syncwright.connectors.errors import (
    AuthError,
    PayloadError,
    PermanentError,
    RateLimitedError,
    TransientError,
)


def parse_retry_after(
    value: str | None, *, now: float | None = None, date: str | None = None
) -> float | None:
    """Seconds to wait from a Retry-After value: delta seconds or an HTTP date; None if unusable.

    An HTTP date is on the server's clock, so it is measured from the response's ``Date``
    header when there is a readable one (our clock may be minutes off the server's), else from
    ``now`` (default: this machine's time). A date already past gives 0: retry now."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        when = _http_date(value)
        if when is None:
            return None
        sent = _http_date(date)
        current = sent if sent is not None else (time.time() if now is None else now)
        return max(0.0, when - current)
    if seconds != seconds or seconds < 0:  # NaN or negative
        return None
    return seconds


def _http_date(value: str | None) -> float | None:
    """An HTTP date as epoch seconds, or None when absent or unreadable."""
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    try:
        return when.timestamp()
    except (OverflowError, OSError, ValueError):
        return None


#: Statuses that mean "the same request may succeed later" besides 5xx: 408 Request Timeout
#: (the server gave up waiting for us) and 425 Too Early (RFC 8470: replay-safe retry asked
#: for). A connector whose platform documents another (Shopify's 409) adds it to its own check.
TRANSIENT_STATUSES = frozenset({408, 425})


def retry_after_of(headers: Mapping[str, str]) -> float | None:
    """The Retry-After of a response in seconds from now, an HTTP date read against its Date."""
    return parse_retry_after(headers.get("retry-after"), date=headers.get("date"))


class JsonClient:
    """httpx.AsyncClient wrapper for one remote system."""

    def __init__(
        self,
        base_url: str,
        *,
        system: str,
        gate: CallGate | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.system = system
        self.gate: CallGate = gate or OpenGate()
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers=dict(headers or {}),
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def set_header(self, name: str, value: str) -> None:
        """Send ``name: value`` with every later request (a rotated OAuth token)."""
        self._client.headers[name] = value

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        raw_json: bytes | None = None,
        cost: float = 1.0,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request and return the decoded JSON body, or raise a connector error.
        ``raw_json`` is a body the caller has encoded already (instead of ``json_body``);
        ``headers`` are added to this request only (an idempotency key, If-Modified-Since)."""
        response = await self._exchange(method, path, params, json_body, raw_json, cost, headers)
        return self.decode(method, path, response)

    async def get_response(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        cost: float = 1.0,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """GET, and the successful response with its body not yet decoded: for a caller that
        validates a whole page from its bytes and calls :meth:`decode` only when they do not
        fit. Failures raise the same connector errors as :meth:`request`."""
        return await self._exchange("GET", path, params, None, None, cost, headers)

    async def _exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        raw_json: bytes | None,
        cost: float,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        await self.gate.acquire(cost)
        if raw_json is None and json_body is not None:
            raw_json = json.dumps(json_body, default=str, separators=(",", ":")).encode()
        sent = dict(headers or {})
        if raw_json is not None:
            sent["content-type"] = "application/json"
        try:
            response = await self._client.request(
                method, request_url(path, params), content=raw_json, headers=sent or None
            )
        except httpx.TimeoutException as exc:
            raise TransientError(f"{method} {path} timed out", system=self.system) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{method} {path} failed: {exc!r}", system=self.system) from exc
        self.gate.report(response.status_code, response.headers)
        self._check(method, path, response)
        return response

    def _check(self, method: str, path: str, response: httpx.Response) -> None:
        """Raise the connector error an unsuccessful status means."""
        status = response.status_code
        what = f"{method} {path}"
        if status == 429:
            raise RateLimitedError(
                f"{what} was rate limited",
                retry_after=retry_after_of(response.headers),
                system=self.system,
                status=status,
            )
        if status in (401, 403):
            raise AuthError(
                f"{what} was refused: check the credentials", system=self.system, status=status
            )
        if status >= 500 or status in TRANSIENT_STATUSES:
            raise TransientError(
                f"{what} failed on the server (HTTP {status}): try again later",
                system=self.system,
                status=status,
            )
        if status >= 400:
            raise PermanentError(
                f"{what} was rejected: {_reason(response)}", system=self.system, status=status
            )

    def decode(self, method: str, path: str, response: httpx.Response) -> Any:
        """The JSON body of a successful response (None when empty), PayloadError if not JSON."""
        status = response.status_code
        if status == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise PayloadError(
                f"{method} {path} returned a body that is not JSON",
                system=self.system,
                status=status,
            ) from exc


def request_url(path: str, params: Mapping[str, Any] | None) -> httpx.URL:
    """``path`` with ``params`` added to the query it already has. httpx's own ``params=``
    replaces a URL's query, even when empty: an absolute "next" link such as
    ``.../products/?limit=100&offset=100`` sent with ``params={}`` fetched page 1 again."""
    url = httpx.URL(path)
    extra = {k: v for k, v in (params or {}).items() if v is not None}
    return url.copy_merge_params(extra) if extra else url


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("error", "message", "detail", "errors"):
            if key in body:
                return str(body[key])[:300]
    return str(body)[:300]
