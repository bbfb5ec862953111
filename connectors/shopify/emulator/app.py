"""A local stand-in for a Shopify store's GraphQL Admin API, for tests and benchmarks.

    python -m syncwright.connectors.shopify.emulator --listen 127.0.0.1:0 --token T --secret S \
        [--webhook-url URL] [--bucket 2000] [--restore-rate 100]

prints ``listening on http://host:port`` once serving. ``POST /admin/api/{version}/graphql.json``
takes every query and mutation the connector sends. Each document is parsed and validated
against Shopify's published Admin schema of that version (emulator_schema.py); invalid
documents get Shopify-shaped ``errors``. Calls are priced (cost.py) and drawn from a leaky
bucket per shop; a call asking for more than is available is refused with a THROTTLED error in
an HTTP 200 body, exactly as Shopify does. ``X-Shopify-Access-Token`` must match (else 401).

Test controls (same token) live under ``/_emulator/``: place, fulfil and cancel orders, change
stock or customers as shoppers would, set faults and bucket limits, read the catalogue and
statistics, and fetch bulk results.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import TaskStatus
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute_sync,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from syncwright.connectors.serving import serve_asgi
from syncwright.connectors.shopify.cost import MAX_QUERY_COST, actual_cost, requested_cost
from syncwright.connectors.shopify.emulator.api import Api
from syncwright.connectors.shopify.emulator.bucket import Bucket, Faults
from syncwright.connectors.shopify.emulator.bulk import BulkRunner
from syncwright.connectors.shopify.emulator.control import control_routes
from syncwright.connectors.shopify.emulator.imports import BulkImports
from syncwright.connectors.shopify.emulator.schema import check, schema
from syncwright.connectors.shopify.emulator.store import Shop
from syncwright.connectors.shopify.emulator.webhooks import WebhookSender
from syncwright.connectors.shopify.versions import SUPPORTED

THROTTLE_DOCS = "https://shopify.dev/api/usage/rate-limits"


@dataclass
class Stats:
    calls: int = 0
    throttled: int = 0
    invalid: int = 0
    requested: int = 0
    actual: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)


class Emulator:
    def __init__(
        self,
        *,
        token: str,
        secret: str = "shpss_test_secret",
        bucket: Bucket | None = None,
        webhook_url: str | None = None,
        webhook_first_delay: float = 0.5,
    ) -> None:
        self.token = token
        self.shop = Shop()
        self.bucket = bucket or Bucket()
        self.faults = Faults()
        self.stats = Stats()
        self.url = ""
        self.webhooks = WebhookSender(
            secret, self.shop.domain, SUPPORTED[-1], webhook_url, first_delay=webhook_first_delay
        )
        self.shop.emit = self.webhooks.emit
        self.bulk = BulkRunner(self._run_bulk, lambda: self.url)
        self.bulk.should_fail = lambda: self.faults.roll(self.faults.bulk_fail_rate)
        self.imports = BulkImports(self.bulk, self._run_line)
        self.apis = {v: Api(self.shop, v, self.bulk, self.imports) for v in SUPPORTED}
        self.app = Starlette(
            routes=[
                Route("/admin/api/{version}/graphql.json", self.graphql, methods=["POST"]),
                Route("/_emulator/uploads", self.imports.upload, methods=["POST"]),
                *control_routes(self),
            ]
        )

    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        async with anyio.create_task_group() as tg:
            self.bulk.tg = tg
            tg.start_soon(self.webhooks.run)
            self.url = await tg.start(serve_asgi, self.app, host, port)
            task_status.started(self.url)

    def authorised(self, request: Request) -> bool:
        return request.headers.get("x-shopify-access-token") == self.token

    async def graphql(self, request: Request) -> Response:
        version = request.path_params["version"]
        if version not in self.apis:
            return JSONResponse({"errors": "Not Found"}, status_code=404)
        if not self.authorised(request):
            return JSONResponse(
                {
                    "errors": (
                        "[API] Invalid API key or access token "
                        "(unrecognized login or wrong password)"
                    )
                },
                status_code=401,
            )
        if self.faults.slow_seconds:
            await anyio.sleep(self.faults.slow_seconds)
        if self.faults.roll(self.faults.drop_rate):
            return _Dropped()
        if self.faults.roll(self.faults.error_rate):
            return JSONResponse({"errors": "Internal Server Error"}, status_code=502)
        if self.faults.roll(self.faults.throttle_429_rate):
            return JSONResponse(
                {
                    "errors": (
                        "Exceeded 2 calls per second for api client. "
                        "Reduce request rates to resume unthrottled access."
                    )
                },
                status_code=429,
                headers={"Retry-After": "2.0"},
            )
        try:
            body = json.loads(await request.body())
            query = body["query"]
            variables = body.get("variables") or {}
            if not isinstance(query, str) or not isinstance(variables, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return JSONResponse(
                {"errors": {"query": "Required parameter missing or invalid"}}, status_code=400
            )
        if self.faults.fail_fields and re.search(
            r"\b(" + "|".join(map(re.escape, self.faults.fail_fields)) + r")\s*\(", query
        ):
            return JSONResponse({"errors": "Internal Server Error"}, status_code=502)
        answer = self.answer(version, query, variables)
        if self.faults.roll(self.faults.malformed_rate):
            return Response(json.dumps(answer)[:-7], media_type="application/json")
        return JSONResponse(answer)

    def answer(self, version: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        self.stats.calls += 1
        document, errors = check(version, query)
        if document is None:
            self.stats.invalid += 1
            return {"errors": [_shaped(e) for e in errors]}
        requested = requested_cost(document, variables)
        if requested > MAX_QUERY_COST:
            return {
                "errors": [
                    {
                        "message": (
                            f"Query cost is {requested}, which exceeds the single query "
                            f"max cost limit ({MAX_QUERY_COST})."
                        ),
                        "extensions": {
                            "code": "MAX_COST_EXCEEDED",
                            "cost": requested,
                            "maxCost": MAX_QUERY_COST,
                        },
                    }
                ],
                "extensions": self._cost(requested, None),
            }
        if not self.bucket.take(requested):
            self.stats.throttled += 1
            return {
                "errors": [
                    {
                        "message": "Throttled",
                        "extensions": {"code": "THROTTLED", "documentation": THROTTLE_DOCS},
                    }
                ],
                "extensions": self._cost(requested, None),
            }
        query_root, mutation_root = self.apis[version].roots()
        is_mutation = any(
            isinstance(d, OperationDefinitionNode) and d.operation == OperationType.MUTATION
            for d in document.definitions
        )
        result = execute_sync(
            _schema(version),
            document,
            root_value=mutation_root if is_mutation else query_root,
            variable_values=variables,
            context_value={},
        )
        data = result.data
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                for node in definition.selection_set.selections:
                    name = getattr(getattr(node, "name", None), "value", "?")
                    self.stats.by_operation[name] = self.stats.by_operation.get(name, 0) + 1
        actual = requested if is_mutation else actual_cost(document, variables, data)
        self.bucket.refund(requested - actual)
        self.stats.requested += requested
        self.stats.actual += actual
        answer: dict[str, Any] = {"data": data}
        if result.errors:
            answer["errors"] = [_shaped(e) for e in result.errors]
        answer["extensions"] = self._cost(requested, actual)
        return answer

    def _cost(self, requested: int, actual: int | None) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.bucket.status(),
            }
        }

    def _run_bulk(self, version: str, document: DocumentNode) -> dict[str, Any]:
        query_root, _ = self.apis[version].roots()
        result = execute_sync(
            _schema(version), document, root_value=query_root, context_value={"unbounded": True}
        )
        if result.errors:
            raise RuntimeError("; ".join(e.message for e in result.errors))
        return result.data or {}

    def _run_line(
        self, version: str, document: DocumentNode, variables: dict[str, Any]
    ) -> dict[str, Any]:
        """One line of a bulk mutation: its variables coerced and checked against the
        mutation's schema types, then run like a call, drawing nothing from the bucket."""
        _, mutation_root = self.apis[version].roots()
        result = execute_sync(
            _schema(version),
            document,
            root_value=mutation_root,
            variable_values=variables,
            context_value={},
        )
        line: dict[str, Any] = {"data": result.data}
        if result.errors:
            line["errors"] = [_shaped(e) for e in result.errors]
        return line


def _schema(version: str) -> GraphQLSchema:
    return schema(version)


def _shaped(error: GraphQLError) -> dict[str, Any]:
    shaped: dict[str, Any] = {"message": error.message}
    if error.locations:
        shaped["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        shaped["path"] = list(error.path)
    code = (error.extensions or {}).get("code") or (
        "argumentLiteralsIncompatible" if error.path is None else "INTERNAL_ERROR"
    )
    shaped["extensions"] = {"code": code}
    return shaped


class _Dropped(Response):
    """Promise a body and send half of it: the client sees the connection cut."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"data": {', "more_body": False})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m syncwright.connectors.shopify.emulator")
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--token", required=True)
    parser.add_argument("--secret", default="shpss_test_secret")
    parser.add_argument("--webhook-url")
    parser.add_argument("--bucket", type=float, default=2000.0)
    parser.add_argument("--restore-rate", type=float, default=100.0)
    parser.add_argument("--webhook-delay", type=float, default=0.5)
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    emulator = Emulator(
        token=args.token,
        secret=args.secret,
        bucket=Bucket(size=args.bucket, restore_rate=args.restore_rate),
        webhook_url=args.webhook_url,
        webhook_first_delay=args.webhook_delay,
    )

    async def run() -> None:
        async with anyio.create_task_group() as tg:
            url = await tg.start(emulator.serve, host or "127.0.0.1", int(port or 0))
            print(f"listening on {url}", flush=True)

    try:
        anyio.run(run)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
