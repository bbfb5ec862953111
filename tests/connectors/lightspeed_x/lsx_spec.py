"""Checks recorded emulator exchanges against X-Series' published OpenAPI file (api-2.0.json).

The file is found at ``$SYNCWRIGHT_SPECS/lightspeed-x/api-2.0.json`` or beside the checkout
at ``../shared/specs/lightspeed-x/api-2.0.json``; tests skip naming it when it is absent.
OpenAPI 3.0's ``nullable`` becomes a JSON Schema ``"null"`` type before validating.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

ROOT = Path(__file__).resolve().parents[3]
RELATIVE = Path("lightspeed-x") / "api-2.0.json"
#: Paths the connector uses that API 2.0 does not have (documented in sales.py): sales are
#: created through API 0.9.
OUTSIDE_SPEC = {("POST", "/api/register_sales")}
URI = "urn:lightspeed-x:api-2.0"
#: Answers whose schema in the file contradicts the file's own example; the emulator follows
#: the example. POST /products: ``data`` items are typed ``object`` but the example (and the
#: description, "an array containing the ID or IDs of the new products") lists id strings.
EXAMPLE_OVER_SCHEMA = {("POST", "/api/2.0/products", 200)}


def spec_path() -> Path:
    base = os.environ.get("SYNCWRIGHT_SPECS")
    folder = Path(base) if base else ROOT.parent / "shared" / "specs"
    return folder / RELATIVE


@cache
def spec() -> dict[str, Any]:
    path = spec_path()
    if not path.is_file():
        pytest.skip(f"X-Series spec not found: {path} (set SYNCWRIGHT_SPECS)")
    loaded: dict[str, Any] = _nullable(json.loads(path.read_text()))
    return loaded


def _nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable(v) for k, v in node.items()}
    if out.pop("nullable", False) is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        elif "$ref" in out or "allOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _registry() -> Registry:
    return Registry().with_resource(URI, Resource(contents=spec(), specification=DRAFT7))


def _operation(method: str, route: str) -> dict[str, Any]:
    wanted = re.sub(r"\{[^}]+\}", "{}", route.removeprefix("/api/2.0"))
    for path, item in spec()["paths"].items():
        if re.sub(r"\{[^}]+\}", "{}", path) == wanted and method.lower() in item:
            op: dict[str, Any] = item[method.lower()]
            return op
    raise AssertionError(f"{method} {route} is not in the X-Series 2.0 spec")


def _params(op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for p in op.get("parameters", []):
        if "$ref" in p:
            p = spec()["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        if p.get("in") == "query":
            out[p["name"]] = p
    return out


def _validate(schema: dict[str, Any], value: Any, what: str) -> None:
    validator = Draft7Validator(schema, registry=_registry())
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        raise AssertionError(f"{what}: {first.message} at {list(first.path)}")


def _rebased(schema: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(schema).replace('"#/components/', f'"{URI}#/components/')
    rebased: dict[str, Any] = json.loads(text)
    return rebased


def check_exchange(
    method: str,
    route: str,
    query: list[tuple[str, str]],
    body: Any,
    status: int,
    answer: Any,
) -> None:
    """Raise AssertionError naming what does not fit the spec."""
    if (method, route) in OUTSIDE_SPEC:
        return
    op = _operation(method, route)
    allowed = _params(op)
    for name, value in query:
        assert name in allowed, f"{method} {route}: parameter {name} is not in the spec"
        kind = allowed[name].get("schema", {}).get("type")
        if kind == "integer":
            assert re.fullmatch(r"-?\d+", value), f"{name}={value} is not an integer"
        elif kind == "boolean":
            assert value in ("true", "false"), f"{name}={value} is not a boolean"
        enum = allowed[name].get("schema", {}).get("enum")
        if enum:
            assert value in enum, f"{name}={value} is not one of {enum}"
    if body is not None:
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        _validate(_rebased(schema), body, f"{method} {route} request")
    if (method, route, status) in EXAMPLE_OVER_SCHEMA:
        data = answer.get("data") if isinstance(answer, dict) else None
        assert isinstance(data, list) and all(isinstance(x, str) for x in data), answer
        return
    response = op.get("responses", {}).get(str(status))
    content = (response or {}).get("content", {}).get("application/json", {})
    if "schema" in content and answer is not None:
        _validate(_rebased(content["schema"]), answer, f"{method} {route} {status} answer")
