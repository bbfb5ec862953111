"""HTTP plumbing both sandbox servers share: auth, rate limit, call counts, params, JSON replies."""

from __future__ import annotations

import hmac
import json
import math
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncwright.connectors.sandbox.refusals import Refused
from syncwright.connectors.sandbox.timestamps import SkewedClock, parse_token

MAX_PAGE = 1000
#: Arrival times of API calls a server keeps (GET /admin/call-times), the newest ones: enough
#: for hours of a soak at tens of calls a second, a few MB at most.
CALL_TIMES_KEPT = 500_000
T = TypeVar("T")
Handler = Callable[[Request], Awaitable[Response]]


class HttpError(Exception):
    """Raised by a handler or a parameter parser; becomes a JSON ``{"error": ...}`` reply."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def refusal_response(refusal: Refused) -> Response:
    """A store's refusal as ``{"error", "existing_id"?}`` with the refusal's status."""
    body: dict[str, Any] = {"error": refusal.message}
    if refusal.existing_id is not None:
        body["existing_id"] = refusal.existing_id
    return json_response(body, refusal.status)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def raw_response(text: str, status: int = 200) -> Response:
    """A reply whose JSON the store already built (as text)."""
    return Response(text, status_code=status, media_type="application/json")


def page_response(items: list[str], after: dict[str, Any] | None) -> Response:
    """``{"items": [...], "next": ...}`` from items that are JSON text already."""
    return raw_response(f'{{"items":[{",".join(items)}],"next":{json.dumps(after)}}}')


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": message}, status, headers)


class RateLimiter:
    """A fixed one-minute window per server, the scheme many REST APIs document."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._window_start = clock()
        self._used = 0

    def hit(self) -> tuple[bool, dict[str, str]]:
        """Count one request; returns whether it may proceed and the headers to send."""
        now = self._clock()
        if now - self._window_start >= 60.0:
            self._window_start, self._used = now, 0
        reset = max(1, math.ceil(60.0 - (now - self._window_start)))
        allowed = self._used < self.per_minute
        if allowed:
            self._used += 1
        headers = {
            "X-RateLimit-Limit": str(self.per_minute),
            "X-RateLimit-Remaining": str(self.per_minute - self._used),
            "X-RateLimit-Reset": str(reset),
        }
        if not allowed:
            headers["Retry-After"] = str(reset)
        return allowed, headers


@dataclass
class Guard:
    """Per-server request policy and counters; wraps every handler with ``guard.wrap``."""

    api_key: str
    limiter: RateLimiter | None = None
    calls: Counter[str] = field(default_factory=Counter)
    #: Wall-clock arrival time of every API call (also refused ones), to check budget windows
    #: at the server: no span of a window's length may hold more calls than its limit.
    call_times: deque[float] = field(default_factory=lambda: deque(maxlen=CALL_TIMES_KEPT))
    rate_limited: int = 0
    refused: int = 0

    def wrap(self, label: str, handler: Handler, *, admin: bool = False) -> Handler:
        """Auth for every route; rate limit and call counts for API routes (not admin ones).

        HttpError and a store's Refused become JSON error replies, so handlers just raise.
        """

        async def guarded(request: Request) -> Response:
            if not self._authorized(request):
                self.refused += 1
                return error_response(
                    401, "missing or wrong API key: send 'Authorization: Bearer <api_key>'"
                )
            headers: dict[str, str] = {}
            if not admin:
                self.call_times.append(time.time())
                if self.limiter is not None:
                    allowed, headers = self.limiter.hit()
                    if not allowed:
                        self.rate_limited += 1
                        return error_response(
                            429,
                            f"rate limit of {self.limiter.per_minute} requests per minute "
                            f"exceeded; retry after {headers['Retry-After']} s",
                            headers,
                        )
                self.calls[label] += 1
            try:
                response = await handler(request)
            except HttpError as exc:
                response = error_response(exc.status, exc.message)
            except Refused as refusal:
                response = refusal_response(refusal)
            response.headers.update(headers)
            return response

        return guarded

    def stats(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "total_calls": sum(self.calls.values()),
            "rate_limited": self.rate_limited,
            "refused": self.refused,
        }

    def reset(self) -> None:
        self.calls.clear()
        self.call_times.clear()
        self.rate_limited = self.refused = 0

    def call_times_route(self) -> Route:
        """``GET /admin/call-times?since=``: ``{"times": [unix seconds, ...]}`` of the API calls
        that arrived at or after ``since`` (default: all kept), oldest first."""

        async def call_times(request: Request) -> Response:
            try:
                since = float(request.query_params.get("since") or 0)
            except ValueError:
                raise HttpError(400, "'since' must be a number of unix seconds") from None
            return json_response({"times": [t for t in list(self.call_times) if t >= since]})

        return Route("/admin/call-times", self.wrap("times", call_times, admin=True))

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self.api_key.encode()
        )


class DbWorker:
    """Runs blocking SQLite calls one at a time in a worker thread, off the event loop."""

    def __init__(self) -> None:
        self._limiter = anyio.CapacityLimiter(1)

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(func, *args, limiter=self._limiter)


async def read_json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(400, f"request body is not valid JSON: {exc}") from exc


def json_object(value: Any, what: str = "request body") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise HttpError(400, f"{what} must be a JSON object")
    return value


def int_param(
    request: Request, name: str, default: int | None = None, *, minimum: int = 0
) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HttpError(400, f"'{name}' must be an integer, got {raw!r}") from None
    if value < minimum:
        raise HttpError(400, f"'{name}' must be at least {minimum}, got {value}")
    return value


def limit_param(request: Request, default: int = 100) -> int:
    limit = int_param(request, "limit", default, minimum=1)
    assert limit is not None
    if limit > MAX_PAGE:
        raise HttpError(400, f"'limit' must be at most {MAX_PAGE}, got {limit}")
    return limit


def token_param(request: Request, name: str) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_token(raw)
    except ValueError:
        raise HttpError(400, f"'{name}' must be an ISO 8601 time, got {raw!r}") from None


def list_param(request: Request, name: str, *, max_items: int = MAX_PAGE) -> list[str] | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    items = [item for item in raw.split(",") if item]
    if len(items) > max_items:
        raise HttpError(400, f"'{name}' may hold at most {max_items} values, got {len(items)}")
    return items


def make_app(routes: list[Route]) -> Starlette:
    """A Starlette app whose unknown paths and methods also answer in JSON."""

    async def not_found(request: Request, exc: Exception) -> Response:
        return error_response(404, f"no such endpoint: {request.method} {request.url.path}")

    async def bad_method(request: Request, exc: Exception) -> Response:
        return error_response(405, f"{request.method} is not allowed on {request.url.path}")

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: bad_method})


def row_id(raw: str, name: str, prefix: str = "") -> int:
    """A row id given as ``12`` or, where the system shows prefixed ids, as ``sc_12``."""
    digits = raw.removeprefix(prefix) if prefix else raw
    if not digits.isdigit():
        shape = f"an id such as {prefix}12" if prefix else "an integer"
        raise HttpError(400, f"'{name}' must be {shape}, got {raw!r}")
    return int(digits)


def id_param(request: Request, name: str, prefix: str = "", default: int = 0) -> int:
    raw = request.query_params.get(name)
    return default if raw is None or raw == "" else row_id(raw, name, prefix)


def after_param(request: Request, prefix: str = "") -> tuple[str, int] | None:
    """The ``(after_modified, after_id)`` key of a change page, or None for the first page."""
    modified = token_param(request, "after_modified")
    raw_id = request.query_params.get("after_id") or None
    if (modified is None) != (raw_id is None):
        raise HttpError(400, "'after_modified' and 'after_id' go together: give both or neither")
    if modified is None or raw_id is None:
        return None
    return modified, row_id(raw_id, "after_id", prefix)


def change_args(
    request: Request, prefix: str = ""
) -> tuple[str | None, tuple[str, int] | None, int]:
    """``(since, after, limit)`` of a change-page request, checked in that order."""
    return token_param(request, "since"), after_param(request, prefix), limit_param(request)


def listing_args(request: Request) -> tuple[int | None, int]:
    """``(after_id, limit)`` of a listing-by-id request (``after_id`` an integer, default 0)."""
    return int_param(request, "after_id", 0), limit_param(request)


def search_params(request: Request) -> tuple[str | None, str | None]:
    """``(email, account_id)`` of a customer search; at least one must be given."""
    email = request.query_params.get("email") or None
    account_id = request.query_params.get("account_id") or None
    if email is None and account_id is None:
        raise HttpError(400, "give 'email' or 'account_id' (or both)")
    return email, account_id


def found(value: T | None, message: str) -> T:
    """``value``, or a 404 with ``message`` when the store found nothing."""
    if value is None:
        raise HttpError(404, message)
    return value


async def set_clock(
    request: Request, db: DbWorker, set_offset: Callable[[float], None], clock: SkewedClock
) -> Response:
    """``POST /admin/clock {"offset_seconds"}``: skew the store's clock, answer with its time."""
    offset = json_object(await read_json(request)).get("offset_seconds")
    if not isinstance(offset, int | float) or isinstance(offset, bool):
        raise HttpError(400, "'offset_seconds' must be a number")
    await db.run(set_offset, float(offset))
    return json_response({"offset_seconds": offset, "now": clock.token()})


def rate_limiter(per_minute: int) -> RateLimiter | None:
    """A limiter of ``per_minute`` requests, or None when 0 turns the limit off."""
    return RateLimiter(per_minute) if per_minute else None
