"""The ``rest`` kind's HTTP client: the shared JsonClient with the manifest's error mapping.

Statuses the manifest names (``errors.rate_limited``, ``transient``, ``auth``) come first;
the shared defaults follow. A rejected request keeps its decoded error body (``RestError``),
so an order refused as a duplicate can name the order that exists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from syncwright.connectors.errors import (
    AuthError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from syncwright.connectors.http import (
    JsonClient,
    parse_retry_after,
    request_url,
    retry_after_of,
)
from syncwright.connectors.rest.manifest import Manifest
from syncwright.connectors.rest.mapping import search


class RestError(PermanentError):
    """A rejected request with its decoded error body (None when it was not JSON)."""

    def __init__(self, message: str, *, body: Any, system: str | None, status: int) -> None:
        super().__init__(message, system=system, status=status)
        self.body = body


class RestHttp(JsonClient):
    manifest: Manifest

    async def send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request (a JSON ``body`` when not None, extra ``headers``); its successful
        response undecoded, for callers that read its headers too."""
        await self.gate.acquire(1.0)
        sent = dict(headers or {})
        content = None
        if body is not None:
            content = json.dumps(body, separators=(",", ":")).encode()
            sent["content-type"] = "application/json"
        try:
            response = await self._client.request(
                method, request_url(path, params), content=content, headers=sent
            )
        except httpx.TimeoutException as exc:
            raise TransientError(f"{method} {path} timed out", system=self.system) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{method} {path} failed: {exc!r}", system=self.system) from exc
        self.gate.report(response.status_code, response.headers)
        self._check(method, path, response)
        return response

    async def json(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        response = await self.send(method, path, params, body=body, headers=headers)
        return self.decode(method, path, response)

    def _check(self, method: str, path: str, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            if self.manifest.errors.error_in_ok is not None and status != 204:
                body = _body(response)
                if search(self.manifest.errors.error_in_ok, body):
                    raise PermanentError(
                        f"{method} {path} answered an error: {self._message(body, response)}",
                        system=self.system,
                        status=status,
                    )
            return
        errors = self.manifest.errors
        what = f"{method} {path}"
        if status in errors.rate_limited:
            raise RateLimitedError(
                f"{what} was rate limited",
                retry_after=self._retry_after(response),
                system=self.system,
                status=status,
            )
        if status in errors.auth:
            raise AuthError(
                f"{what} was refused: check the credentials", system=self.system, status=status
            )
        if status in errors.transient:
            raise TransientError(
                f"{what} failed on the server (HTTP {status}): try again later",
                system=self.system,
                status=status,
            )
        if status >= 500 or status in (401, 403, 408, 425, 429):
            super()._check(method, path, response)
        body = _body(response)
        raise RestError(
            f"{what} was rejected: {self._message(body, response)}",
            body=body,
            system=self.system,
            status=status,
        )

    def _retry_after(self, response: httpx.Response) -> float | None:
        header = self.manifest.rate_limit.reset_after
        if header is not None and header.lower() in response.headers:
            return parse_retry_after(response.headers[header])
        name = self.manifest.rate_limit.retry_after
        if name.lower() == "retry-after":
            return retry_after_of(response.headers)
        return parse_retry_after(response.headers.get(name), date=response.headers.get("date"))

    def _message(self, body: Any, response: httpx.Response) -> str:
        found = None if body is None else search(self.manifest.errors.message, body)
        if found in (None, "", [], {}):
            return (response.text[:300] or response.reason_phrase).strip()
        return str(found)[:300]


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
