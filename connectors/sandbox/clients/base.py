"""What both sandbox clients share: the HTTP client and 409 answers.

A 409 from a sandbox names the record the write clashed with (``existing_id``); the clients
need it (an order posted before is AlreadyPosted with its id), so conflicts are raised as
ConflictError, a PermanentError that carries that id.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import httpx

from syncwright.connectors.base import CallGate, ChangeQuery, SystemSpec
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.http import JsonClient

T = TypeVar("T")
#: SKUs or ids per lookup: keeps URLs short (uvicorn refuses request heads over 16 KiB).
LOOKUP_CHUNK = 200


class ConflictError(PermanentError):
    """The write clashes with an existing record, ``existing_id`` when the server named it."""

    def __init__(
        self, message: str, *, existing_id: str | None, system: str | None, status: int | None
    ) -> None:
        super().__init__(message, system=system, status=status)
        self.existing_id = existing_id


class SandboxHttp(JsonClient):
    """JsonClient whose 409 errors keep the server's ``existing_id``."""

    def _check(self, method: str, path: str, response: httpx.Response) -> None:
        try:
            super()._check(method, path, response)
        except PermanentError as exc:
            if exc.status != 409:
                raise
            raise ConflictError(
                exc.message, existing_id=_existing_id(response), system=exc.system, status=409
            ) from None


def _existing_id(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get("existing_id") if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return str(value)


class SandboxClient:
    def __init__(
        self,
        spec: SystemSpec[Any],
        gate: CallGate,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        key = spec.secret("api_key")
        self.kind = spec.kind
        self.name = spec.name
        self.http = SandboxHttp(
            spec.url.rstrip("/"),
            system=spec.name,
            gate=gate,
            headers={"Authorization": f"Bearer {key}"},
            timeout=spec.timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _get(self, path: str, **params: Any) -> Any:
        return await self.http.request("GET", path, params=params)

    async def _get_or_none(self, path: str, **params: Any) -> Any:
        """The body, or None when the server answers 404."""
        try:
            return await self._get(path, **params)
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise

    def _chunks(self, values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
        for start in range(0, len(values), size):
            yield values[start : start + size]

    def _joined(self, values: Sequence[str], what: str) -> str:
        if any("," in value for value in values):
            raise PermanentError(
                f"a {what} containing ',' cannot be looked up in the sandbox", system=self.name
            )
        return ",".join(values)

    def _change_params(self, query: ChangeQuery, max_page: int) -> dict[str, Any]:
        after_modified, after_id = query.after if query.after is not None else (None, None)
        return {
            "since": query.since,
            "after_modified": after_modified,
            "after_id": after_id,
            "limit": min(query.limit, max_page),
        }
