"""Answer shapes shared by the emulator's routes: v3 envelopes, error bodies, filters, paging.

Documented: v3 lists carry ``meta.pagination`` (total, count, per_page, current_page,
total_pages, links); ``limit`` at most 250 (1,000 for inventory items); v3 errors are
``{status, title, type, errors}``; v2 errors are ``[{status, message}]``; an empty v2 list is
204. Assumed: a ``limit`` over the maximum is a 422, not silently capped.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

ERROR_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"


class Refusal(Exception):
    def __init__(self, status: int, title: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.errors = errors or {}


def v3_error(status: int, title: str, errors: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"status": status, "title": title, "type": ERROR_TYPE, "errors": errors or {}},
        status_code=status,
    )


def v2_error(status: int, message: str) -> JSONResponse:
    return JSONResponse([{"status": status, "message": message}], status_code=status)


def when(text: str) -> datetime:
    """A date filter value: ISO 8601 (date or date-time), RFC 2822, or epoch seconds."""
    text = text.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError) as exc:
            raise Refusal(422, f"invalid date {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def ints(text: str) -> set[int]:
    try:
        return {int(part) for part in text.split(",") if part}
    except ValueError as exc:
        raise Refusal(422, f"invalid id list {text!r}") from exc


def limit_page(request: Request, default: int = 50, maximum: int = 250) -> tuple[int, int]:
    try:
        limit = int(request.query_params.get("limit", default))
        page = int(request.query_params.get("page", 1))
    except ValueError as exc:
        raise Refusal(422, "limit and page must be integers") from exc
    if not 1 <= limit <= maximum or page < 1:
        raise Refusal(422, f"limit must be between 1 and {maximum}, page at least 1")
    return limit, page


def v3_list(
    request: Request, rows: Sequence[Any], shape: Callable[[Any], Any], maximum: int = 250
) -> JSONResponse:
    limit, page = limit_page(request, maximum=maximum)
    total = len(rows)
    pages = max(1, -(-total // limit))
    part = rows[(page - 1) * limit : page * limit]
    base = f"?limit={limit}&page="
    links: dict[str, str] = {"current": f"{base}{page}"}
    if page > 1:
        links["previous"] = f"{base}{page - 1}"
    if page < pages:
        links["next"] = f"{base}{page + 1}"
    return JSONResponse(
        {
            "data": [shape(r) for r in part],
            "meta": {
                "pagination": {
                    "total": total,
                    "count": len(part),
                    "per_page": limit,
                    "current_page": page,
                    "total_pages": pages,
                    "links": links,
                }
            },
        }
    )


def v2_list(request: Request, rows: Sequence[Any], shape: Callable[[Any], Any]) -> Response:
    limit, page = limit_page(request)
    part = rows[(page - 1) * limit : page * limit]
    if not part:
        return Response(status_code=204)
    return JSONResponse([shape(r) for r in part])


def in_range(value: datetime, request: Request, low: str, high: str, exact: str = "") -> bool:
    q = request.query_params
    if exact and exact in q and value != when(q[exact]):
        return False
    if low in q and value < when(q[low]):
        return False
    return not (high in q and value > when(q[high]))
