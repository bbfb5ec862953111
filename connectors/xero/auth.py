"""OAuth 2.0 for Xero: access tokens for 30 minutes, refresh tokens that rotate on every use.

Two grants: ``client_credentials`` (a custom connection: client id and secret give a token, no
refresh token) and ``refresh_token`` (an app a person authorised once). With the second, Xero
answers each refresh with a *new* refresh token and retires the old one, so the new one is
written to ``token_file`` (temporary file, fsync, rename, fsync of the folder) before the access
token it came with is used. A crash after Xero answered but before the rename leaves the old
token on disk; Xero honours a just-rotated token for a grace period, which is what lets the
daemon reconnect after such a crash (tests/connectors/xero/test_auth.py).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx

from syncwright.connectors.errors import (
    AuthError,
    PayloadError,
    RateLimitedError,
    TransientError,
)
from syncwright.connectors.http import retry_after_of

#: Refresh this long before Xero says the access token expires.
EARLY_SECONDS = 120.0


def read_refresh_token(path: Path) -> str:
    try:
        data = json.loads(path.read_text())
        token = data["refresh_token"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuthError(
            f"cannot read a refresh token from {path}: {exc.__class__.__name__}"
        ) from None
    if not isinstance(token, str) or not token:
        raise AuthError(f"{path} holds no refresh token: authorise the app again")
    return token


def write_refresh_token(path: Path, token: str) -> None:
    """Replace the token file atomically: a reader sees the old token or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as out:
            json.dump({"refresh_token": token}, out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


class Tokens:
    """Hands out a live access token, refreshing (once, under a lock) when it is near expiry."""

    def __init__(
        self,
        token_url: str,
        *,
        client_id: str,
        client_secret: str,
        grant: str,
        token_file: Path | None,
        system: str,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if grant == "refresh_token" and token_file is None:
            raise ValueError(f"system {system!r}: the refresh_token grant needs a token_file")
        self.token_url = token_url
        self.grant = grant
        self.token_file = token_file
        self.system = system
        self.clock = clock
        self._auth = (client_id, client_secret)
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)
        self._lock = anyio.Lock()
        self._access: str | None = None
        self._expires = 0.0
        #: Refreshes made (for tests and the benchmark).
        self.refreshes = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    def invalidate(self, used: str) -> None:
        """Forget ``used`` (Xero refused it); the next call gets a fresh one."""
        if self._access == used:
            self._access = None

    async def access_token(self) -> str:
        if self._access is not None and self.clock() < self._expires:
            return self._access
        async with self._lock:
            if self._access is None or self.clock() >= self._expires:
                await self._fetch()
            assert self._access is not None
            return self._access

    async def _fetch(self) -> None:
        form = {"grant_type": self.grant}
        if self.grant == "refresh_token":
            assert self.token_file is not None
            form["refresh_token"] = read_refresh_token(self.token_file)
        try:
            response = await self._client.post(self.token_url, data=form, auth=self._auth)
        except httpx.TimeoutException as exc:
            raise TransientError("token request timed out", system=self.system) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"token request failed: {exc!r}", system=self.system) from exc
        status = response.status_code
        if status == 429:
            raise RateLimitedError(
                "token request was rate limited",
                retry_after=retry_after_of(response.headers),
                system=self.system,
                status=status,
            )
        if status >= 500:
            raise TransientError("identity server failed", system=self.system, status=status)
        if status >= 400:
            raise AuthError(
                f"Xero refused the credentials ({_oauth_error(response)}): authorise the app "
                "again or check the client id and secret",
                system=self.system,
                status=status,
            )
        try:
            body = response.json()
            access = body["access_token"]
            lifetime = float(body.get("expires_in", 1800))
            refresh = body.get("refresh_token")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise PayloadError("unreadable token answer", system=self.system) from exc
        if not isinstance(access, str) or not access:
            raise PayloadError("token answer without an access token", system=self.system)
        if self.grant == "refresh_token":
            if not isinstance(refresh, str) or not refresh:
                raise PayloadError("refresh answer without a refresh token", system=self.system)
            assert self.token_file is not None
            # Saved before anything uses the access token: the old refresh token is retired.
            await anyio.to_thread.run_sync(write_refresh_token, self.token_file, refresh)
        self.refreshes += 1
        self._access = access
        self._expires = self.clock() + max(0.0, lifetime - EARLY_SECONDS)


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return f"HTTP {response.status_code}"
