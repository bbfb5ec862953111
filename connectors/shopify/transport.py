"""One GraphQL Admin call: the access token, cost pacing, throttling and error mapping.

Before a call we know its requested cost (cost.py). We keep the last ``throttleStatus`` the
server reported and, letting it refill at ``restoreRate``, wait until the bucket holds the cost:
in steady state we are never THROTTLED. The daemon's budget (the CallGate, in cost points) is
charged the requested cost up front and reconciled with ``actualQueryCost`` afterwards.

A THROTTLED error inside an HTTP 200 body and an HTTP 429 both become RateLimitedError with the
wait the server implies, and both are reported to the gate as a 429 so the whole account backs
off. Nothing is retried here: the daemon re-runs the job, so no work is lost.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import anyio
import httpx
from graphql import DocumentNode, GraphQLSyntaxError, parse

from syncwright.connectors.base import CallGate
from syncwright.connectors.errors import (
    AuthError,
    PayloadError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from syncwright.connectors.http import TRANSIENT_STATUSES, retry_after_of
from syncwright.connectors.shopify.cost import MAX_QUERY_COST, requested_cost

#: Wait at most this long for the bucket to refill inside a call; longer waits go back to
#: the daemon as RateLimitedError so the worker is not held.
MAX_PACE_WAIT = 20.0
#: Statuses retried besides 5xx: the shared ones (408, 425) and 409, which Shopify answers
#: when the resource is not in the state the request expects (a concurrent change): the job
#: runs again, reading afresh, so the same write can succeed.
SHOPIFY_TRANSIENT = TRANSIENT_STATUSES | {409}


@dataclass(slots=True)
class Throttle:
    """The bucket as the server last described it, refilled by the clock since then."""

    maximum: float = 2000.0
    available: float = 2000.0
    restore_rate: float = 100.0
    seen_at: float | None = None

    def now_available(self, now: float) -> float:
        if self.seen_at is None:
            return self.maximum
        return min(self.maximum, self.available + (now - self.seen_at) * self.restore_rate)

    def debit(self, cost: float, now: float) -> None:
        """Count a call we are sending before the server's answer says what is left."""
        self.available = self.now_available(now) - cost
        self.seen_at = now

    def wait_for(self, cost: float, now: float) -> float:
        # A small margin: Shopify counts the refill from when it ran the call, we from when its
        # answer arrived, and it rounds what is left down.
        margin = max(2.0, 0.01 * self.maximum)
        missing = min(cost + margin, self.maximum) - self.now_available(now)
        return 0.0 if missing <= 0 else missing / max(self.restore_rate, 1e-6)


@dataclass(frozen=True, slots=True)
class CallStats:
    calls: int
    requested: int
    actual: int
    throttled: int
    paced_seconds: float


@lru_cache(maxsize=256)
def _parsed(query: str) -> DocumentNode:
    return parse(query)


class ShopifyTransport:
    def __init__(
        self,
        *,
        base_url: str,
        version: str,
        token: str,
        system: str,
        gate: CallGate,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        max_pace_wait: float = MAX_PACE_WAIT,
    ) -> None:
        self.system = system
        self.gate = gate
        self.path = f"/admin/api/{version}/graphql.json"
        #: Assume a full Standard bucket until Shopify tells us otherwise.
        self.throttle = Throttle(seen_at=clock())
        self._pace_lock = anyio.Lock()
        #: Points of calls sent whose answers have not arrived (they are not yet in the
        #: throttleStatus of answers that arrive meanwhile).
        self._inflight = 0.0
        self._clock = clock
        self._sleep = sleep
        self._max_pace_wait = max_pace_wait
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"X-Shopify-Access-Token": token, "content-type": "application/json"},
            timeout=timeout,
            transport=transport,
        )
        self.calls = self.requested = self.actual = self.throttled = 0
        self.paced_seconds = 0.0

    async def aclose(self) -> None:
        await self._client.aclose()

    def stats(self) -> CallStats:
        return CallStats(
            self.calls, self.requested, self.actual, self.throttled, self.paced_seconds
        )

    def cost_of(self, query: str, variables: Mapping[str, Any] | None = None) -> int:
        try:
            return requested_cost(_parsed(query), variables)
        except GraphQLSyntaxError as exc:  # our own documents: a bug, said plainly
            raise PermanentError(f"invalid GraphQL document: {exc}", system=self.system) from exc

    async def call(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run one query or mutation; return its ``data`` or raise a connector error."""
        cost = self.cost_of(query, variables)
        if cost > MAX_QUERY_COST:
            raise PermanentError(
                f"query would cost {cost} points, over Shopify's {MAX_QUERY_COST}",
                system=self.system,
            )
        await self._pace(cost)
        self._inflight += cost
        try:
            try:
                await self.gate.acquire(float(cost))
            except BaseException:
                self.throttle.available += cost  # never sent: give the points back
                raise
            body = json.dumps({"query": query, "variables": dict(variables or {})}, default=str)
            try:
                response = await self._client.post(self.path, content=body)
            except httpx.TimeoutException as exc:  # the estimate stays spent: it may have run
                raise TransientError("GraphQL call timed out", system=self.system) from exc
            except httpx.TransportError as exc:
                raise TransientError(f"GraphQL call failed: {exc!r}", system=self.system) from exc
        finally:
            self._inflight -= cost
        self.calls += 1
        self.requested += cost
        return self._answer(response, cost)

    async def _pace(self, cost: int) -> None:
        """Wait until the bucket (as we last saw it, refilled since) holds ``cost``, then take
        it from our own estimate at once, so concurrent calls queue instead of all going."""
        async with self._pace_lock:
            wait = self.throttle.wait_for(cost, self._clock())
            if wait > self._max_pace_wait:
                raise RateLimitedError(
                    f"the Shopify bucket refills enough for {cost} points in {wait:.1f} s",
                    retry_after=wait,
                    system=self.system,
                    local=True,
                )
            if wait > 0:
                self.paced_seconds += wait
                await self._sleep(wait)
            self.throttle.debit(cost, self._clock())

    def _answer(self, response: httpx.Response, cost: int) -> dict[str, Any]:
        status = response.status_code
        headers = response.headers
        if status == 429:
            self.throttled += 1
            self.gate.report(429, headers, cost=0.0)
            raise RateLimitedError(
                "Shopify answered 429 Too Many Requests",
                retry_after=retry_after_of(headers),
                system=self.system,
                status=429,
            )
        if status in (401, 403):
            self.gate.report(status, headers, cost=0.0)
            raise AuthError(
                "Shopify refused the access token; check credentials.access_token",
                system=self.system,
                status=status,
            )
        if status >= 500 or status in SHOPIFY_TRANSIENT:
            self.gate.report(status, headers, cost=float(cost))
            raise TransientError("Shopify failed on the server", system=self.system, status=status)
        try:
            body = response.json()
        except ValueError as exc:
            self.gate.report(status, headers, cost=float(cost))
            # Shopify never means to send this: a proxy or a cut-off body. Worth a retry.
            raise TransientError(
                "Shopify sent a body that is not JSON", system=self.system, status=status
            ) from exc
        if not isinstance(body, dict):
            self.gate.report(status, headers, cost=float(cost))
            raise PayloadError("Shopify sent a JSON body that is not an object", system=self.system)
        spent = self._learn(body.get("extensions"))
        errors = body.get("errors")
        if _throttled(errors):
            self.throttled += 1
            wait = self.throttle.wait_for(cost, self._clock())
            self.gate.report(429, {"retry-after": f"{max(wait, 1.0):.1f}"}, cost=0.0)
            raise RateLimitedError(
                "Shopify answered THROTTLED", retry_after=max(wait, 1.0), system=self.system
            )
        self.gate.report(status, headers, cost=float(cost if spent is None else spent))
        if status >= 400:
            raise PermanentError(
                f"Shopify rejected the call: {_messages(errors) or response.text[:300]}",
                system=self.system,
                status=status,
            )
        if errors:
            codes = {_code(e) for e in errors if isinstance(e, dict)}
            if "ACCESS_DENIED" in codes:
                raise AuthError(
                    f"Shopify denied access: {_messages(errors)}", system=self.system, status=status
                )
            if "INTERNAL_SERVER_ERROR" in codes:
                raise TransientError(f"Shopify failed: {_messages(errors)}", system=self.system)
            raise PermanentError(
                f"Shopify refused the query: {_messages(errors)}", system=self.system
            )
        data = body.get("data")
        if not isinstance(data, dict):
            raise PayloadError("Shopify answered without data", system=self.system)
        return data

    def _learn(self, extensions: Any) -> int | None:
        """Update the bucket from extensions.cost; return the actual cost if given."""
        if not isinstance(extensions, dict):
            return None
        cost = extensions.get("cost")
        if not isinstance(cost, dict):
            return None
        status = cost.get("throttleStatus")
        if isinstance(status, dict):
            try:
                self.throttle.maximum = float(status["maximumAvailable"])
                # What Shopify had left, less what our other calls are still spending.
                self.throttle.available = float(status["currentlyAvailable"]) - self._inflight
                self.throttle.restore_rate = float(status["restoreRate"])
                self.throttle.seen_at = self._clock()
            except (KeyError, TypeError, ValueError):
                pass
        actual = cost.get("actualQueryCost")
        if isinstance(actual, int | float) and not isinstance(actual, bool):
            self.actual += int(actual)
            return int(actual)
        return None


def _code(error: Mapping[str, Any]) -> str | None:
    ext = error.get("extensions")
    return str(ext.get("code")) if isinstance(ext, dict) and ext.get("code") else None


def _throttled(errors: Any) -> bool:
    return isinstance(errors, list) and any(
        isinstance(e, dict) and _code(e) == "THROTTLED" for e in errors
    )


def _messages(errors: Any) -> str:
    if not isinstance(errors, list):
        return str(errors)[:300] if errors else ""
    return "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))[:500]
