"""Tryton JSON-RPC 8.x over HTTP: session login, re-login on expiry, context, error mapping.

Database calls go to ``POST <url>/<db>/rpc/`` as ``{"id", "method", "params"}`` with the
context as the last parameter. A session (``Authorization: Session base64(login:uid:key)``)
is opened on first use and again whenever the server answers 401 (expired, logged out, or
the database was restored). Every call spends one unit from the call gate.

Errors: Tryton answers application errors with HTTP 200 and an ``error`` list. A
``UserError``/``UserWarning`` (validation, a unique key) is a TrytonUserError, which is a
PermanentError; concurrency and lock errors are transient; a login refusal is an AuthError.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
import httpx

from syncwright.connectors.base import CallGate, OpenGate
from syncwright.connectors.errors import (
    AuthError,
    PayloadError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from syncwright.connectors.http import TRANSIENT_STATUSES, retry_after_of
from syncwright.connectors.tryton import codec


class TrytonUserError(PermanentError):
    """Tryton refused the call for a business reason; ``kind`` is Tryton's exception name."""

    def __init__(self, message: str, *, kind: str, system: str | None) -> None:
        super().__init__(message, system=system)
        self.kind = kind


_TRANSIENT = ("ConcurrencyException", "TimeoutException", "database is locked")


class TrytonRpc:
    def __init__(
        self,
        url: str,
        database: str,
        *,
        user: str,
        password: str,
        system: str,
        gate: CallGate | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.system = system
        self.gate: CallGate = gate or OpenGate()
        self._path = f"/{database}/rpc/"
        self._user = user
        self._password = password
        self._ids = itertools.count(1)
        self._session: str | None = None
        self._lock = anyio.Lock()
        self.context: dict[str, Any] = {}
        self._client = httpx.AsyncClient(base_url=url, timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def model(self, model: str, method: str, *args: Any, **context: Any) -> Any:
        """Call ``model.<model>.<method>`` with the company context (plus ``context``) last."""
        await self.ensure_session()
        params = [*args, {**self.context, **context}]
        try:
            return await self._call(f"model.{model}.{method}", params, auth=True)
        except _Expired:
            self._session = None
            await self.ensure_session()
            try:
                return await self._call(f"model.{model}.{method}", params, auth=True)
            except _Expired:
                raise AuthError(
                    "the Tryton session was refused right after logging in", system=self.system
                ) from None

    async def ensure_session(self) -> None:
        if self._session is not None:
            return
        async with self._lock:
            if self._session is not None:
                return
            try:
                answer = await self._call(
                    "common.db.login",
                    [self._user, {"password": self._password}, "en"],
                    auth=False,
                )
            except _Expired:
                raise AuthError(
                    f"Tryton refused the login of user {self._user!r}: check the password",
                    system=self.system,
                    status=401,
                ) from None
            if not isinstance(answer, list) or len(answer) < 2:
                raise PayloadError(
                    "Tryton's login answer is not [uid, key, ...]", system=self.system
                )
            raw = f"{self._user}:{answer[0]}:{answer[1]}".encode()
            self._session = "Session " + base64.b64encode(raw).decode()
            await self._load_context()

    async def _load_context(self) -> None:
        prefs = await self._call("model.res.user.get_preferences", [True, {}], auth=True)
        if not isinstance(prefs, Mapping):
            raise PayloadError("Tryton's user preferences are not an object", system=self.system)
        company = prefs.get("company")
        if not isinstance(company, int):
            raise PermanentError(
                f"Tryton user {self._user!r} has no current company; set one in Tryton",
                system=self.system,
            )
        context = {k: v for k, v in prefs.items() if isinstance(k, str)}
        context["company"] = company
        context["companies"] = prefs.get("companies") or [company]
        self.context = context

    async def _call(self, method: str, params: Sequence[Any], *, auth: bool) -> Any:
        body = codec.dumps({"id": next(self._ids), "method": method, "params": list(params)})
        headers = {"Content-Type": "application/json"}
        if auth and self._session:
            headers["Authorization"] = self._session
        await self.gate.acquire(1.0)
        try:
            response = await self._client.post(self._path, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise TransientError(f"{method} timed out", system=self.system) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{method} failed: {exc!r}", system=self.system) from exc
        self.gate.report(response.status_code, response.headers)
        return self._decode(method, response)

    def _decode(self, method: str, response: httpx.Response) -> Any:
        status = response.status_code
        if status == 401:
            raise _Expired()
        if status == 403:
            raise AuthError(
                f"{method} is not allowed for this user", system=self.system, status=403
            )
        if status == 429:
            raise RateLimitedError(
                f"{method} was rate limited",
                retry_after=retry_after_of(response.headers),
                system=self.system,
                status=status,
            )
        if status >= 500 or status in TRANSIENT_STATUSES:
            raise TransientError(
                f"{method} failed on the server", system=self.system, status=status
            )
        if status >= 400:
            raise PermanentError(
                f"{method} was rejected: {response.text[:200]}", system=self.system, status=status
            )
        try:
            answer = codec.loads(response.content)
        except ValueError as exc:
            raise PayloadError(
                f"{method} returned a body that is not JSON: {exc}", system=self.system
            ) from None
        if not isinstance(answer, dict):
            raise PayloadError(
                f"{method} returned a body that is not an object", system=self.system
            )
        if "error" in answer:
            raise self._error(method, answer["error"])
        if "result" not in answer:
            raise PayloadError(f"{method} returned neither result nor error", system=self.system)
        return answer["result"]

    def _error(self, method: str, error: Any) -> Exception:
        kind = str(error[0]) if isinstance(error, list) and error else str(error)
        detail = error[1] if isinstance(error, list) and len(error) > 1 else None
        message = detail[0] if isinstance(detail, list) and detail else (detail or kind)
        text = f"{method}: {message}"
        if any(marker in kind or marker in str(message) for marker in _TRANSIENT):
            return TransientError(text, system=self.system)
        if kind == "LoginException":
            return AuthError(text, system=self.system)
        if kind == "RateLimitException":
            return RateLimitedError(text, system=self.system)
        if kind in ("UserError", "UserWarning", "AccessError"):
            return TrytonUserError(text, kind=kind, system=self.system)
        return PermanentError(
            f"{method} failed in Tryton: {kind} {message}".strip(), system=self.system
        )


class _Expired(Exception):
    """HTTP 401: no session, or the session expired; log in again."""
