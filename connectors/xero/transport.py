"""Xero's HTTP layer: bearer token and tenant on every call, Xero's error bodies mapped.

Error bodies, as Xero sends them:

    400  {"ErrorNumber": 10, "Type": "ValidationException", "Message": "...",
          "Elements": [{..., "ValidationErrors": [{"Message": "..."}]}]}   -> PermanentError
    401  {"Title": "Unauthorized", "Status": 401, "Detail": "TokenExpired: ..."}
         -> the token is dropped and the call sent once more with a new one; then AuthError
    403  {"Type": "AuthorizationUnsuccessful", ...} (wrong tenant, missing scope) -> AuthError
    404  not found                                                         -> PermanentError
    429  Retry-After: <seconds>, X-Rate-Limit-Problem: minute|day|appminute|concurrent
         -> RateLimitedError naming the limit (the budget reads the headers itself)
    5xx  (503: organisation offline or API unavailable)                    -> TransientError
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
import httpx

from syncwright.connectors.base import CallGate
from syncwright.connectors.errors import PermanentError, RateLimitedError
from syncwright.connectors.http import JsonClient, retry_after_of
from syncwright.connectors.xero.auth import Tokens

#: Xero answers a tenant's sixth call in flight with 429 (problem "concurrent").
IN_FLIGHT = 5


class TokenTransport(httpx.AsyncBaseTransport):
    """Adds ``Authorization`` and ``xero-tenant-id``; one retry with a new token on a 401; at
    most ``IN_FLIGHT`` calls at once, each holding its slot until its body is read."""

    def __init__(self, inner: httpx.AsyncBaseTransport, tokens: Tokens, tenant_id: str) -> None:
        self.inner = inner
        self.tokens = tokens
        self.tenant_id = tenant_id
        self.slots = anyio.Semaphore(IN_FLIGHT)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with self.slots:
            response = await self._send(request)
            # Xero's answers are small JSON documents: read here, so the slot covers the body.
            await response.aread()
            return response

    async def _send(self, request: httpx.Request) -> httpx.Response:
        for attempt in (1, 2):
            token = await self.tokens.access_token()
            request.headers["authorization"] = f"Bearer {token}"
            request.headers["xero-tenant-id"] = self.tenant_id
            request.headers["accept"] = "application/json"
            response = await self.inner.handle_async_request(request)
            if response.status_code != 401 or attempt == 2:
                return response
            await response.aread()
            await response.aclose()
            self.tokens.invalidate(token)
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        await self.inner.aclose()
        await self.tokens.aclose()


class XeroHttp(JsonClient):
    def __init__(
        self,
        base_url: str,
        *,
        system: str,
        tokens: Tokens,
        tenant_id: str,
        gate: CallGate,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        inner = transport or httpx.AsyncHTTPTransport()
        super().__init__(
            base_url,
            system=system,
            gate=gate,
            timeout=timeout,
            transport=TokenTransport(inner, tokens, tenant_id),
        )

    def _check(self, method: str, path: str, response: httpx.Response) -> None:
        status = response.status_code
        if status == 429:
            problem = response.headers.get("x-rate-limit-problem", "unknown")
            raise RateLimitedError(
                f"{method} {path}: Xero's {problem} limit was reached",
                retry_after=retry_after_of(response.headers),
                system=self.system,
                status=status,
            )
        if status == 400 or status == 404:
            raise PermanentError(
                f"{method} {path} was rejected: {xero_reason(response)}",
                system=self.system,
                status=status,
            )
        super()._check(method, path, response)


def xero_reason(response: httpx.Response) -> str:
    """What a Xero error body says: its validation messages, else its Message or Detail."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if not isinstance(body, dict):
        return str(body)[:300]
    messages = validation_messages(body.get("Elements"))
    if messages:
        return "; ".join(messages)[:500]
    for key in ("Message", "Detail", "Title", "Type"):
        if isinstance(body.get(key), str) and body[key]:
            return str(body[key])[:300]
    return f"HTTP {response.status_code}"


def validation_messages(elements: Any) -> list[str]:
    found: list[str] = []
    if not isinstance(elements, list):
        return found
    for element in elements:
        if isinstance(element, Mapping):
            for error in element.get("ValidationErrors") or ():
                if isinstance(error, Mapping) and isinstance(error.get("Message"), str):
                    found.append(error["Message"])
    return found
