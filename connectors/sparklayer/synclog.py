"""SparkLayer's sync-log API: where the merchant sees our last syncs and per-item errors.

``PUT /api/v1/sync-log/{integration}/{data_type}`` records a full sync: it sets
``started_full_sync`` and ``last_full_sync`` (an omitted time is cleared) and replaces every
logged error with the ones sent. ``PATCH`` records a partial sync: ``last_partial_sync``, errors
added or updated, the others kept; resolving errors by a ``resolved`` list of external ids is
[assumed] (the PATCH body was not visible in the sources). At most 5,000 errors a request: more
go in further PATCHes. ``DELETE /api/v1/sync-log`` forgets every log of the site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from syncwright.connectors.sparklayer.transport import Problem, SparkHttp

MAX_ERRORS = 5000
#: The data types SparkLayer's sync log knows, by our flow name.
DATA_TYPES = {
    "products": "products",
    "customers": "customers",
    "stock": "stock",
    "prices": "pricing",
    "orders": "purchases",
    "purchases": "purchases",
}


@dataclass(frozen=True, slots=True)
class LogError:
    external_id: str
    message: str
    external_url: str | None = None
    visible: bool = True

    def body(self) -> dict[str, Any]:
        return {
            "external_id": self.external_id,
            "external_url": self.external_url,
            "visible": self.visible,
            "message": self.message,
        }


def _stamp(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


class SyncLogApi:
    def __init__(self, http: SparkHttp, integration: str) -> None:
        self.http = http
        self.integration = integration

    def _path(self, data_type: str) -> str:
        return f"/api/v1/sync-log/{quote(self.integration, safe='')}/{quote(data_type, safe='')}"

    async def full(
        self,
        data_type: str,
        *,
        started: datetime | None,
        finished: datetime | None,
        errors: Sequence[LogError] = (),
        succeeded: bool = True,
    ) -> None:
        """Record a full sync (its start alone while it runs; ``finished`` once every item of it
        is done): the errors sent replace all logged ones."""
        body: dict[str, Any] = {
            "started_full_sync": _stamp(started),
            "last_full_sync": _stamp(finished),
            "last_full_sync_succeeded": succeeded,
            "errors": [e.body() for e in errors[:MAX_ERRORS]],
        }
        await self.http.call("PUT", self._path(data_type), body=body)
        for start in range(MAX_ERRORS, len(errors), MAX_ERRORS):
            more = {"errors": [e.body() for e in errors[start : start + MAX_ERRORS]]}
            await self.http.call("PATCH", self._path(data_type), body=more)

    async def partial(
        self,
        data_type: str,
        *,
        when: datetime | None,
        errors: Sequence[LogError] = (),
        resolved: Sequence[str] = (),
    ) -> None:
        """Record a partial sync: new errors added, ``resolved`` ones removed, others kept."""
        first = True
        e_at, r_at = 0, 0
        while first or e_at < len(errors) or r_at < len(resolved):
            e_part = errors[e_at : e_at + MAX_ERRORS]
            r_part = resolved[r_at : r_at + MAX_ERRORS]
            body: dict[str, Any] = {"errors": [e.body() for e in e_part], "resolved": list(r_part)}
            if first and when is not None:
                body["last_partial_sync"] = _stamp(when)
            await self.http.call("PATCH", self._path(data_type), body=body)
            e_at, r_at, first = e_at + len(e_part), r_at + len(r_part), False

    async def status(self, data_type: str) -> dict[str, Any] | None:
        """The logged status; None before the first full sync (SparkLayer answers 404)."""
        try:
            body = await self.http.call("GET", self._path(data_type))
        except Problem as exc:
            if exc.status == 404:
                return None
            raise
        return body if isinstance(body, dict) else None

    async def errors(self, data_type: str) -> list[dict[str, Any]]:
        try:
            body = await self.http.call("GET", self._path(data_type) + "/errors")
        except Problem as exc:
            if exc.status == 404:
                return []
            raise
        found = body.get("errors") if isinstance(body, dict) else None
        return [e for e in found or [] if isinstance(e, dict)]

    async def forget(self) -> None:
        """Delete every sync log of the site (a removed connection)."""
        await self.http.call("DELETE", "/api/v1/sync-log")
