"""The emulator's OAuth token endpoint, ``POST /api/1.0/token`` (form-encoded).

Documented (X-Series OAuth guide, as the reference notes keep it): the token URL is on the
store's domain; a refresh sends ``grant_type=refresh_token``, ``refresh_token``,
``client_id``, ``client_secret``. Assumed: the answer is ``{"access_token", "token_type":
"Bearer", "expires" (epoch), "expires_in", "refresh_token", "domain_prefix"}``, every refresh
rotates the refresh token (the old one stops working), and a refused refresh is 400
``{"error": "invalid_grant"}``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse


@dataclass
class OAuthServer:
    domain_prefix: str
    ttl: float = 3600.0
    clock: Callable[[], float] = time.time
    clients: dict[str, str] = field(default_factory=dict)
    #: refresh token -> client id
    refresh: dict[str, str] = field(default_factory=dict)
    #: access token -> expiry (epoch)
    access: dict[str, float] = field(default_factory=dict)
    issued: int = 0

    def valid(self, token: str) -> bool:
        expiry = self.access.get(token)
        return expiry is not None and expiry > self.clock()

    async def token(self, request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        client = form.get("client_id", "")
        if (
            form.get("grant_type") != "refresh_token"
            or self.clients.get(client) != form.get("client_secret")
            or self.refresh.get(form.get("refresh_token", "")) != client
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        del self.refresh[form["refresh_token"]]
        access, renewed = secrets.token_hex(16), secrets.token_hex(16)
        expires = self.clock() + self.ttl
        self.access[access] = expires
        self.refresh[renewed] = client
        self.issued += 1
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires": int(expires),
                "expires_in": int(self.ttl),
                "refresh_token": renewed,
                "domain_prefix": self.domain_prefix,
            }
        )
