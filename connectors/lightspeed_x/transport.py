"""HTTP to one X-Series store: bearer auth, the API paths, version-cursor pages, 404 as None.

Every call goes through the shared JsonClient (connectors/http.py), which spends from the call
gate, reports ``X-RateLimit-*`` and 429s (``Retry-After`` an HTTP date, read against the
response's ``Date``) to the budget, and maps statuses to the contract's errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from syncwright.connectors.base import CallGate
from syncwright.connectors.errors import AuthError, PayloadError, PermanentError
from syncwright.connectors.http import JsonClient
from syncwright.connectors.lightspeed_x.oauth import OAuth

API = "/api/2.0"


@dataclass(frozen=True, slots=True)
class VersionPage:
    """One page of a version-cursor collection: rows by version ascending, ``high`` the
    envelope's ``version.max`` (the next page's ``after``). No rows: the end."""

    rows: list[dict[str, Any]]
    high: int


class Transport:
    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        system: str,
        gate: CallGate,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
        oauth: OAuth | None = None,
    ) -> None:
        """``token`` is the bearer token, or None when ``oauth`` supplies access tokens."""
        self.system = system
        self.oauth = oauth
        self.http = JsonClient(
            base_url.rstrip("/"),
            system=system,
            gate=gate,
            headers={"accept": "application/json"}
            | ({"authorization": f"Bearer {token}"} if token else {}),
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _call(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: Any
    ) -> Any:
        if self.oauth is None:
            return await self.http.request(method, path, params=params, json_body=body)
        used = await self.oauth.access_token()
        self.http.set_header("authorization", f"Bearer {used}")
        try:
            return await self.http.request(method, path, params=params, json_body=body)
        except AuthError:
            # revoked or expired early: one refresh, one more try
            await self.oauth.refresh(used)
            self.http.set_header("authorization", f"Bearer {await self.oauth.access_token()}")
            return await self.http.request(method, path, params=params, json_body=body)

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self._call("GET", API + path, params, None)

    async def get_or_none(self, path: str) -> dict[str, Any] | None:
        """The ``data`` object at ``path``; None when X-Series answers 404."""
        try:
            body = await self.get(path)
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise PayloadError(f"GET {path}: no data object with an id", system=self.system)
        return data

    async def post(self, path: str, body: Any, *, legacy: bool = False) -> Any:
        return await self._call("POST", path if legacy else API + path, None, body)

    async def rows(self, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """The ``data`` list of a GET (search, sku and family look-ups, fulfilments)."""
        body = await self.get(path, params)
        data = body.get("data") if isinstance(body, dict) else None
        return self._checked(path, data)

    def _checked(self, path: str, data: Any) -> list[dict[str, Any]]:
        """``data`` as a list of rows, each with a string id (inventory rows: also product and
        outlet ids) and an integer version where it has one; PayloadError otherwise, so a
        strange answer is an error on the job, never a crash further in."""
        if not isinstance(data, list):
            raise PayloadError(f"GET {path}: no data list", system=self.system)
        keys = ("id", "product_id", "outlet_id") if path.endswith("/inventory") else ("id",)
        for row in data:
            if (
                not isinstance(row, dict)
                or not all(isinstance(row.get(k), str) and row[k] for k in keys)
                or ("version" in row and type(row["version"]) is not int)
            ):
                raise PayloadError(f"GET {path}: a row without {'/'.join(keys)}: {row!r:.200}")
        return data

    async def page(self, path: str, after: int, size: int, *, deleted: bool = False) -> VersionPage:
        """Rows with a version above ``after``; ``deleted`` includes soft-deleted ones."""
        params: dict[str, Any] = {"after": after, "page_size": size}
        if deleted:
            params["deleted"] = "true"
        body = await self.get(path, params)
        data = self._checked(path, body.get("data") if isinstance(body, dict) else None)
        version = body.get("version") if isinstance(body, dict) else None
        if not data:
            return VersionPage([], after)
        high = version.get("max") if isinstance(version, dict) else None
        if type(high) is not int or high <= after:
            raise PayloadError(f"GET {path}: version.max missing or not past after={after}")
        return VersionPage(data, high)
