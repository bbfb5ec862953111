"""HTTP for one BigCommerce store: X-Auth-Token, the store's shared 30 s quota, paging.

BigCommerce reports its quota in its own headers (``X-Rate-Limit-Requests-Left``,
``-Requests-Quota``, ``-Time-Window-Ms``, ``-Time-Reset-Ms``). The daemon's budget reads the
common ``X-RateLimit-Remaining``/``-Reset`` pair, so :class:`QuotaGate` passes each answer on
with those added: other apps spend from the same quota, so what the store says is left is the
truth and the budget follows it down. A 429 with the headers waits for the reset; a 429 without
them is the platform overloaded, and is retried with backoff (no Retry-After).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from syncwright.connectors.base import CallGate
from syncwright.connectors.errors import (
    PayloadError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from syncwright.connectors.http import TRANSIENT_STATUSES, JsonClient, retry_after_of

#: The largest page of v3 listings and v2 orders.
MAX_PAGE = 250
#: The largest page of inventory item reads.
MAX_INVENTORY_PAGE = 1000


def reset_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds until the store's quota window resets, from X-Rate-Limit-Time-Reset-Ms."""
    value = headers.get("x-rate-limit-time-reset-ms")
    try:
        ms = float(value) if value is not None else None
    except ValueError:
        return None
    if ms is None or ms != ms or ms < 0:
        return None
    return ms / 1000.0


class QuotaGate:
    """The daemon's gate, told BigCommerce's quota in the names its budget reads."""

    def __init__(self, gate: CallGate) -> None:
        self.gate = gate
        #: The last quota headers seen (for tests and the benchmark).
        self.left: int | None = None

    async def acquire(self, cost: float = 1.0) -> None:
        await self.gate.acquire(cost)

    def report(self, status: int, headers: Mapping[str, str], *, cost: float | None = None) -> None:
        out = {k.lower(): v for k, v in headers.items()}
        left = out.get("x-rate-limit-requests-left")
        reset = reset_seconds(out)
        if left is not None and left.strip().isdigit():
            self.left = int(left)
            out["x-ratelimit-remaining"] = left.strip()
            if reset is not None:
                out["x-ratelimit-reset"] = f"{reset:.3f}"
        if status == 429 and reset is not None and "retry-after" not in out:
            out["retry-after"] = f"{max(reset, 0.001):.3f}"
        self.gate.report(status, out, cost=cost)


class BigCommerceHttp(JsonClient):
    """JsonClient with BigCommerce's 429 reading (reset in milliseconds)."""

    def _check(self, method: str, path: str, response: httpx.Response) -> None:
        if response.status_code == 429:
            reset = reset_seconds({k.lower(): v for k, v in response.headers.items()})
            overload = reset is None
            raise RateLimitedError(
                f"{method} {path} was rate limited"
                + (" (platform overload: backing off)" if overload else ""),
                retry_after=reset if reset is not None else retry_after_of(response.headers),
                system=self.system,
                status=429,
            )
        status = response.status_code
        if 400 <= status < 500 and status not in (401, 403) and status not in TRANSIENT_STATUSES:
            raise PermanentError(
                f"{method} {path} was rejected: {_reason(response)}",
                system=self.system,
                status=response.status_code,
            )
        super()._check(method, path, response)

    def decode(self, method: str, path: str, response: httpx.Response) -> Any:
        """A 2xx body that is not JSON was cut or garbled on the way (the request may well
        have been applied): transient, so the job runs again and reads what the store holds."""
        try:
            return super().decode(method, path, response)
        except PayloadError as exc:
            raise TransientError(
                f"{method} {path} answered {response.status_code} with a body that is not "
                "JSON (cut or garbled): try again",
                system=self.system,
                status=response.status_code,
            ) from exc


def _reason(response: httpx.Response) -> str:
    """BigCommerce's error body: v3 ``{status, title, errors}``, v2 ``[{status, message}]``."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if isinstance(body, dict):
        text = str(body.get("title") or body.get("message") or "")
        details = body.get("errors")
        if details:
            text += f" {json.dumps(details)[:200]}"
        return text.strip()[:300] or str(body)[:300]
    return str(body)[:300]


@dataclass(frozen=True, slots=True)
class V3Page:
    data: list[dict[str, Any]]
    total_pages: int
    current_page: int

    @property
    def more(self) -> bool:
        return self.current_page < self.total_pages


class Transport:
    """Requests to ``{store}/v3/...`` and ``{store}/v2/...``."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        system: str,
        gate: CallGate,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.system = system
        self.quota = QuotaGate(gate)
        self.http = BigCommerceHttp(
            base_url.rstrip("/"),
            system=system,
            gate=self.quota,
            headers={"X-Auth-Token": token, "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> Any:
        return await self.http.request(method, path, params=params, json_body=body)

    async def v3_page(self, path: str, params: Mapping[str, Any]) -> V3Page:
        """One page of a v3 listing: its ``data`` and ``meta.pagination``."""
        answer = await self.call("GET", path, params=params)
        if not isinstance(answer, dict) or not isinstance(answer.get("data"), list):
            raise PayloadError(f"GET {path}: no data array", system=self.system)
        pagination = (answer.get("meta") or {}).get("pagination") or {}
        try:
            total = int(pagination.get("total_pages", 1))
            current = int(pagination.get("current_page", 1))
        except (TypeError, ValueError) as exc:
            raise PayloadError(f"GET {path}: unreadable pagination", system=self.system) from exc
        rows = [row for row in answer["data"] if isinstance(row, dict)]
        return V3Page(rows, total, current)

    async def v3_all(self, path: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every page of a v3 listing at the largest page."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            got = await self.v3_page(path, {**params, "page": page, "limit": MAX_PAGE})
            out += got.data
            if not got.more:
                return out
            page += 1

    async def v3_data(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        answer = await self.call(method, path, params=params or None, body=body)
        if not isinstance(answer, dict) or "data" not in answer:
            raise PayloadError(f"{method} {path}: no data", system=self.system)
        return answer["data"]

    async def v2_list(self, path: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A v2 listing page; BigCommerce answers an empty one with 204 No Content."""
        answer = await self.call("GET", path, params=params)
        if answer is None:
            return []
        if not isinstance(answer, list):
            raise PayloadError(f"GET {path}: expected a JSON array", system=self.system)
        return [row for row in answer if isinstance(row, dict)]


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
