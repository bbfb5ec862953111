"""Xero's published OpenAPI file as a test oracle: every request the connector sends and every
answer the emulator gives are checked against ``xero_accounting.yaml``.

The file is found at ``$SYNCWRIGHT_SPECS/xero/`` or ``<repo>/../shared/specs/xero/``; tests
skip naming the missing file when it is absent. It does not pass a strict OpenAPI validator
(49 boolean defaults and examples written as the strings "true"/"false"), so it is loaded
leniently: plain YAML, those strings turned into booleans, and only the parts we use are read
(``$ref`` resolved by jsonschema within the file; schemas checked as JSON Schema draft 4,
which OpenAPI 3.0's schema objects follow; Xero's ``x-`` keys are ignored).
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
NAME = "xero/xero_accounting.yaml"
API = "/api.xro/2.0"
#: Headers the spec declares as parameters; the transport's own are not parameters.
TRANSPORT_HEADERS = {
    "host",
    "accept",
    "accept-encoding",
    "connection",
    "user-agent",
    "content-length",
    "content-type",
    "authorization",
    "xero-tenant-id",
}


def spec_path() -> Path:
    env = os.environ.get("SYNCWRIGHT_SPECS")
    folder = Path(env) if env else ROOT.parent / "shared" / "specs"
    path = folder / NAME
    if not path.is_file():
        pytest.skip(f"the Xero spec is absent: {path} (set SYNCWRIGHT_SPECS)")
    return path


def _booleans(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("type") == "boolean":
            for key in ("default", "example"):
                if node.get(key) in ("true", "false"):
                    node[key] = node[key] == "true"
        for value in node.values():
            _booleans(value)
    elif isinstance(node, list):
        for value in node:
            _booleans(value)
    return node


@cache
def document() -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with spec_path().open() as handle:
        return dict(_booleans(yaml.load(handle, Loader=loader)))


def resolve(ref: str) -> Any:
    node: Any = document()
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def operation(method: str, path: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The spec's operation for a concrete path, and its parameters (path-level included)."""
    for template, item in document()["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            op = item[method.lower()]
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            resolved = [resolve(p["$ref"]) if "$ref" in p else p for p in params]
            return op, resolved
    raise AssertionError(f"{method} {path} is not in the Xero spec")


def check_schema(schema: dict[str, Any], value: Any, what: str) -> list[str]:
    import jsonschema

    root = {**schema, "components": document()["components"]}
    validator = jsonschema.Draft4Validator(root)
    return [f"{what}: {e.message} at {list(e.absolute_path)}" for e in validator.iter_errors(value)]


def check_request(request: httpx.Request) -> list[str]:
    path = request.url.path.removeprefix(API)
    op, params = operation(request.method, path)
    problems: list[str] = []
    query_names = {p["name"] for p in params if p.get("in") == "query"}
    header_names = {p["name"].lower() for p in params if p.get("in") == "header"}
    for name in request.url.params:
        if name not in query_names:
            problems.append(f"{request.method} {path}: query parameter {name} is not declared")
    for name in request.headers:
        if name.lower() not in header_names | TRANSPORT_HEADERS:
            problems.append(f"{request.method} {path}: header {name} is not declared")
    if request.content:
        import json

        content = op.get("requestBody", {})
        content = resolve(content["$ref"]) if "$ref" in content else content
        schema = content["content"]["application/json"]["schema"]
        problems += check_schema(schema, json.loads(request.content), f"{request.method} {path}")
    return problems


def check_response(request: httpx.Request, response: httpx.Response) -> list[str]:
    path = request.url.path.removeprefix(API)
    op, _ = operation(request.method, path)
    answer = op["responses"].get(str(response.status_code))
    if answer is None:
        return [f"{request.method} {path}: status {response.status_code} is not in the spec"]
    answer = resolve(answer["$ref"]) if "$ref" in answer else answer
    content = answer.get("content", {}).get("application/json")
    if content is None or not response.content:
        return []
    return check_schema(content["schema"], response.json(), f"answer to {request.method} {path}")


class CheckingTransport(httpx.AsyncBaseTransport):
    """Passes every call through, checking API requests and answers against the spec."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.problems: list[str] = []
        self.checked = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        api = request.url.path.startswith(API)
        if api:
            self.problems += check_request(request)
        response = await self.inner.handle_async_request(request)
        if api:
            await response.aread()
            self.problems += check_response(request, response)
            self.checked += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
