"""One call to a SparkLayer site: the client-credentials token, ``Site-Id``, and the error rules.

Every SparkLayer API takes ``Authorization: Bearer <token>`` and ``Site-Id``. The token comes
from ``POST /api/auth/token`` (a JSON body with the client id and secret, the ``Site-Id``
header) and lives 3,600 s with no refresh token: it is cached and fetched again a minute
before it expires, and once more when a call answers 401 (then the call is sent again once).

A successful status with a body cut short or not JSON is transient (retried). Errors are
RFC 7807 problem documents (``title``, ``status``, ``detail``, ``errors[]``); some
have no body. 409 is a concurrent update and worth a retry, unless the caller says a conflict
is final (the write-once store currency). A 400 keeps its problem document for the caller
(a batch refusal names its lines).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from syncwright.connectors.base import CallGate
from syncwright.connectors.errors import (
    AuthError,
    PayloadError,
    PermanentError,
    TransientError,
)
from syncwright.connectors.http import JsonClient

TOKEN_PATH = "/api/auth/token"
#: Fetch a new token this long before the old one expires.
RENEW_MARGIN = 60.0
USER_AGENT = "Syncwright (SparkLayer channel connector)"


class Problem(PermanentError):
    """A 4xx answer SparkLayer explained: its RFC 7807 document is in ``problem``."""

    def __init__(self, message: str, *, problem: Mapping[str, Any], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.problem = dict(problem)

    def lines(self) -> dict[int, str]:
        """Per-line messages of a refused batch (0-based line -> message), when it names any."""
        found: dict[int, str] = {}
        for item in self.problem.get("errors") or []:
            if isinstance(item, dict) and isinstance(item.get("line"), int):
                found[item["line"]] = str(item.get("message") or "refused")
        return found


class _Client(JsonClient):
    """The shared JSON client, with SparkLayer's problem bodies kept on 4xx errors."""

    def _check(self, method: str, path: str, response: httpx.Response) -> None:
        if response.status_code in (400, 404, 409, 422) and response.content:
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, list):  # the pricing APIs answer 400 with the bad lines only
                body = {"title": "Bad Request", "status": 400, "errors": body}
            if isinstance(body, dict):
                detail = body.get("detail") or body.get("title") or "refused"
                if body.get("errors"):
                    detail = f"{detail}: {_first_errors(body['errors'])}"
                raise Problem(
                    f"{method} {path} was rejected: {str(detail)[:300]}",
                    problem=body,
                    system=self.system,
                    status=response.status_code,
                )
        super()._check(method, path, response)

    def set_header(self, name: str, value: str | None) -> None:
        if value is None:
            self._client.headers.pop(name, None)
        else:
            self._client.headers[name] = value


class SparkHttp:
    """Authenticated JSON calls to one SparkLayer site."""

    def __init__(
        self,
        base_url: str,
        *,
        site_id: str,
        client_id: str,
        client_secret: str,
        system: str,
        gate: CallGate,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.system = system
        self._credentials = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._clock = clock
        self._expires = 0.0
        self.tokens_fetched = 0
        self.http = _Client(
            base_url.rstrip("/"),
            system=system,
            gate=gate,
            headers={"Site-Id": site_id, "User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        conflict_final: bool = False,
    ) -> Any:
        """Send one request with a valid token; the decoded body (None when empty)."""
        await self._ensure_token()
        try:
            return await self._send(method, path, params, body, conflict_final)
        except AuthError as exc:
            if exc.status != 401:
                raise
        await self._fetch_token()  # the token was revoked or expired early: once more
        return await self._send(method, path, params, body, conflict_final)

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        conflict_final: bool,
    ) -> Any:
        try:
            return await self.http.request(method, path, params=params, json_body=body)
        except PayloadError as exc:
            # A 2xx whose body is cut or not JSON is a proxy's or a connection's fault, not
            # the request's: the same request will most likely be answered whole next time.
            raise TransientError(
                f"{method} {path}: SparkLayer's answer was unreadable, try again later",
                system=self.system,
                status=exc.status,
            ) from exc
        except PermanentError as exc:
            if exc.status == 409 and not conflict_final:
                raise TransientError(
                    f"{method} {path}: concurrent update on SparkLayer, try again later",
                    system=self.system,
                    status=409,
                ) from exc
            raise

    async def _ensure_token(self) -> None:
        if self._clock() >= self._expires - RENEW_MARGIN:
            await self._fetch_token()

    async def _fetch_token(self) -> None:
        self.http.set_header("Authorization", None)
        try:
            answer = await self.http.request("POST", TOKEN_PATH, json_body=self._credentials)
        except (PermanentError, AuthError) as exc:
            if exc.status in (400, 401, 403):
                raise AuthError(
                    "SparkLayer refused the client id or secret for this site: check "
                    "credentials.client_id, credentials.client_secret and settings.site_id",
                    system=self.system,
                    status=exc.status,
                ) from exc
            raise
        token = answer.get("access_token") if isinstance(answer, dict) else None
        lifetime = answer.get("expires_in", 3600) if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token or not isinstance(lifetime, int | float):
            raise PayloadError("the token answer has no access_token", system=self.system)
        self.http.set_header("Authorization", f"Bearer {token}")
        self._expires = self._clock() + float(lifetime)
        self.tokens_fetched += 1


def _first_errors(errors: Any) -> str:
    if not isinstance(errors, list):
        return str(errors)[:200]
    parts = []
    for item in errors[:3]:
        if isinstance(item, dict):
            where = item.get("property") or item.get("field") or item.get("line")
            parts.append(f"{where}: {item.get('message')}" if where is not None else str(item))
    return "; ".join(parts)
