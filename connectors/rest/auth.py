"""Request authentication for the ``rest`` kind, as an httpx.Auth: every style a manifest
can name, with the one secret of the system (``credentials.secret``).

OAuth2 (client credentials) fetches a token on first use and keeps it until shortly before it
expires; a 401 drops it and the request is sent once more with a fresh one. HMAC signs a
template of the request with the secret (hex SHA-256) and sends the Unix time it signed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Generator

import httpx

from syncwright.connectors.rest.manifest import Auth

#: A token is renewed this many seconds before the expiry the server gave.
TOKEN_MARGIN = 30.0


class ManifestAuth(httpx.Auth):
    requires_response_body = True

    def __init__(self, auth: Auth, secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self.auth = auth
        self.secret = secret
        self.clock = clock
        self._token: str | None = None
        self._expires = 0.0
        #: Token requests made (a test counts them: one per token lifetime).
        self.token_requests = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        kind = self.auth.kind
        if kind == "oauth2":
            yield from self._oauth2(request)
            return
        if kind == "bearer":
            request.headers["Authorization"] = f"Bearer {self.secret}"
        elif kind == "basic":
            pair = f"{self.auth.username}:{self.secret}".encode()
            request.headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
        elif kind == "header":
            request.headers[self.auth.name] = self.secret
        elif kind == "query":
            request.url = request.url.copy_add_param(self.auth.name, self.secret)
        elif kind == "hmac":
            self._sign(request)
        yield request

    def _sign(self, request: httpx.Request) -> None:
        stamp = str(int(self.clock()))
        message = self.auth.template.format(
            method=request.method,
            path=request.url.path,
            query=request.url.query.decode(),
            body=request.content.decode(),
            timestamp=stamp,
        )
        digest = hmac.new(self.secret.encode(), message.encode(), hashlib.sha256).hexdigest()
        request.headers[self.auth.name] = digest
        if self.auth.timestamp_header:
            request.headers[self.auth.timestamp_header] = stamp

    def _oauth2(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        for attempt in range(2):
            if self._token is None or self.clock() >= self._expires:
                answer = yield self._token_request(request)
                self._take_token(answer)
            if self._token is not None:
                request.headers["Authorization"] = f"Bearer {self._token}"
            response = yield request
            if response.status_code != 401 or attempt:
                return
            self._token = None  # revoked or expired early: one fresh token, one more try

    def _token_request(self, request: httpx.Request) -> httpx.Request:
        """The client-credentials grant; a relative ``token_url`` is on the API's host."""
        self.token_requests += 1
        form = {"grant_type": "client_credentials", "client_id": self.auth.username}
        form["client_secret"] = self.secret
        if self.auth.scope:
            form["scope"] = self.auth.scope
        return httpx.Request("POST", request.url.join(self.auth.token_url), data=form)

    def _take_token(self, answer: httpx.Response) -> None:
        try:
            body = answer.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if answer.status_code != 200 or not isinstance(token, str) or not token:
            self._token = None
            self._expires = 0.0
            return  # the request goes without a token; its 401 is an AuthError
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        seconds = float(lifetime) if isinstance(lifetime, int | float) else 3600.0
        self._token = token
        self._expires = self.clock() + max(0.0, seconds - TOKEN_MARGIN)
