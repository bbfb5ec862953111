"""OAuth 2 access tokens for an X-Series add-on: refreshed before they expire (or when X-Series
answers 401), and the rotated pair kept in a JSON file that is replaced atomically.

The file (``settings.oauth_token_file``) holds ``access_token``, ``refresh_token`` and
``expires_at`` (epoch seconds). A refresh is ``POST <store>/api/1.0/token`` with the form
fields ``grant_type=refresh_token``, ``refresh_token``, ``client_id`` and ``client_secret``;
the answer's ``access_token``, ``expires`` (epoch) or ``expires_in`` (seconds) and, when
X-Series rotates it, ``refresh_token`` are written to a temporary file beside it, synced and
renamed over it (then the folder is synced), so a crash leaves the old pair or the new one,
never half of either. The file is created with mode 0600.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import anyio
import httpx

from syncwright.connectors.errors import AuthError, PayloadError, TransientError

#: Refresh this many seconds before the access token expires.
EARLY = 60.0


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: float


def load(path: Path) -> Tokens:
    try:
        data = json.loads(path.read_text())
        return Tokens(
            str(data["access_token"]), str(data["refresh_token"]), float(data["expires_at"])
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuthError(f"cannot read the OAuth token file {path}: {exc}") from None


def save(path: Path, tokens: Tokens) -> None:
    """Replace ``path`` with ``tokens``: write a temporary file, sync, rename, sync the folder."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(asdict(tokens), out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


class OAuth:
    def __init__(
        self,
        path: Path,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        system: str,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.system = system
        self.transport = transport
        self.clock = clock
        self._tokens: Tokens | None = None
        self._lock = anyio.Lock()

    @property
    def tokens(self) -> Tokens:
        """The pair in use; read from the file on first use (AuthError when unreadable)."""
        if self._tokens is None:
            self._tokens = load(self.path)
        return self._tokens

    async def access_token(self) -> str:
        if self.tokens.expires_at - EARLY <= self.clock():
            await self.refresh(self.tokens.access_token)
        return self.tokens.access_token

    async def refresh(self, stale: str) -> None:
        """Get a new pair unless another task already replaced ``stale``."""
        async with self._lock:
            if self.tokens.access_token != stale:
                return
            form = {
                "grant_type": "refresh_token",
                "refresh_token": self.tokens.refresh_token,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }
            try:
                async with httpx.AsyncClient(transport=self.transport, timeout=30) as client:
                    answer = await client.post(self.token_url, data=form)
            except httpx.HTTPError as exc:
                raise TransientError(f"token refresh failed: {exc!r}", system=self.system) from exc
            if answer.status_code in (400, 401, 403):
                raise AuthError(
                    "the OAuth refresh token was refused: authorise the add-on again",
                    system=self.system,
                    status=answer.status_code,
                )
            if answer.status_code >= 300:
                raise TransientError(
                    "token refresh failed", system=self.system, status=answer.status_code
                )
            fresh = self._parse(answer)
            save(self.path, fresh)
            self._tokens = fresh

    def _parse(self, answer: httpx.Response) -> Tokens:
        try:
            body = answer.json()
            access = str(body["access_token"])
            if "expires" in body:
                expires = float(body["expires"])
            else:
                expires = self.clock() + float(body["expires_in"])
        except (ValueError, KeyError, TypeError):
            raise PayloadError("the token answer has no access_token or expiry") from None
        refresh = body.get("refresh_token") or self.tokens.refresh_token
        return Tokens(access, str(refresh), expires)
