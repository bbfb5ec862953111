"""RFC 7807 problem documents as SparkLayer sends them, and the emulator's reply type."""

from __future__ import annotations

from typing import Any

#: (status, JSON body or None for an empty body)
Reply = tuple[int, Any]

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def problem(status: int, detail: str, errors: list[dict[str, Any]] | None = None) -> Reply:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return status, body


def field_error(prop: str, message: str, code: str = "invalid") -> dict[str, Any]:
    return {"code": code, "message": message, "property": prop}


def not_found(what: str) -> Reply:
    return problem(404, f"{what} not found")
