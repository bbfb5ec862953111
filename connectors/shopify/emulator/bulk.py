"""Bulk operations in the emulator: bulkOperationRunQuery, polling, and the JSONL result.

The inner query is validated against the schema like any other. It then runs in the background
with unbounded connections; the result is flattened to JSONL the way Shopify writes it: each
node of a connection one line, nested connection nodes their own lines with ``__parentId``, after
their parent. The file is served at ``/_emulator/bulk/<id>.jsonl``. Before 2026-01 a shop runs
one bulk query at a time; from 2026-01, five. Bulk mutations (imports.py) share the operations and
files, with their own limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
from anyio.abc import TaskGroup
from graphql import DocumentNode

from syncwright.connectors.shopify.emulator.schema import check
from syncwright.connectors.shopify.emulator.store import iso, now

Runner = Callable[[DocumentNode], dict[str, Any]]


class BulkRunner:
    def __init__(
        self, run_query: Callable[[str, DocumentNode], dict[str, Any]], base_url: Callable[[], str]
    ) -> None:
        self.run_query = run_query
        self.base_url = base_url
        self.operations: dict[int, dict[str, Any]] = {}
        self.files: dict[int, bytes] = {}
        self.tg: TaskGroup | None = None
        self.delay = 0.05
        #: Fault injection: whether the next operation fails (set by the server).
        self.should_fail: Callable[[], bool] = lambda: False
        self._next = 1

    def start(self, query: str, version: str) -> dict[str, Any]:
        document, errors = check(version, query)
        if document is None:
            message = "; ".join(e.message for e in errors)
            return {
                "bulkOperation": None,
                "userErrors": [
                    {
                        "field": ["query"],
                        "message": f"Invalid bulk query: {message}",
                        "code": "INVALID",
                    }
                ],
            }
        limit = 5 if version >= "2026-01" else 1
        running = [
            o
            for o in self.operations.values()
            if o["type"] == "QUERY" and o["status"] in ("CREATED", "RUNNING")
        ]
        if len(running) >= limit:
            return {
                "bulkOperation": None,
                "userErrors": [
                    {
                        "field": None,
                        "code": "OPERATION_IN_PROGRESS",
                        "message": (
                            "A bulk query operation for this app and shop is already in progress."
                        ),
                    }
                ],
            }
        op = self.new_operation("QUERY", query)
        op_id = op["id"]
        if self.tg is None:
            raise RuntimeError("the bulk runner is not started")
        self.tg.start_soon(self._run, op_id, version, document)
        return {
            "bulkOperation": self.view(f"gid://shopify/BulkOperation/{op_id}"),
            "userErrors": [],
        }

    def new_operation(self, kind: str, query: str) -> dict[str, Any]:
        """A CREATED operation of ``kind`` (QUERY or MUTATION), registered under a new id."""
        op_id = self._next
        self._next += 1
        op: dict[str, Any] = {
            "id": op_id,
            "type": kind,
            "status": "CREATED",
            "query": query,
            "created_at": now(),
            "completed_at": None,
            "objects": 0,
            "roots": 0,
            "size": None,
            "error": None,
            "partial": False,
        }
        self.operations[op_id] = op
        return op

    async def _run(self, op_id: int, version: str, document: DocumentNode) -> None:
        op = self.operations[op_id]
        op["status"] = "RUNNING"
        await anyio.sleep(self.delay)
        if self.should_fail():
            op.update(status="FAILED", error="INTERNAL_SERVER_ERROR", completed_at=now())
            return
        try:
            data = self.run_query(version, document)
        except Exception as exc:  # a bug in the emulator must not take the server down
            op.update(status="FAILED", error="INTERNAL_SERVER_ERROR", completed_at=now())
            op["detail"] = repr(exc)
            return
        lines: list[str] = []
        roots = 0
        for value in data.values():
            for node in _nodes(value):
                roots += 1
                _flatten(node, None, lines)
        body = ("\n".join(lines) + "\n").encode() if lines else b""
        self.files[op_id] = body
        op.update(
            status="COMPLETED", completed_at=now(), objects=len(lines), roots=roots, size=len(body)
        )

    def view(self, gid: str) -> dict[str, Any] | None:
        op = self.operations.get(int(gid.rsplit("/", 1)[-1]))
        if op is None:
            return None
        done = op["status"] == "COMPLETED" and op["size"]
        link = f"{self.base_url()}/_emulator/bulk/{op['id']}.jsonl"
        return {
            "__typename": "BulkOperation",
            "id": f"gid://shopify/BulkOperation/{op['id']}",
            "status": op["status"],
            "errorCode": op["error"],
            "createdAt": iso(op["created_at"]),
            "completedAt": iso(op["completed_at"]),
            "objectCount": str(op["objects"]),
            "rootObjectCount": str(op["roots"]),
            "fileSize": str(op["size"]) if op["size"] is not None else None,
            "url": link if done else None,
            "partialDataUrl": link if op["partial"] else None,
            "query": op["query"],
            "type": op["type"],
        }


def _nodes(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, dict):
        return []
    if isinstance(value.get("edges"), list):
        return [
            e["node"]
            for e in value["edges"]
            if isinstance(e, dict) and isinstance(e.get("node"), dict)
        ]
    if isinstance(value.get("nodes"), list):
        return [n for n in value["nodes"] if isinstance(n, dict)]
    return []


def _flatten(node: dict[str, Any], parent: str | None, lines: list[str]) -> None:
    own: dict[str, Any] = {}
    children: list[dict[str, Any]] = []
    for key, value in node.items():
        nested = _nodes(value)
        if nested or (isinstance(value, dict) and ("edges" in value or "nodes" in value)):
            children += nested
        else:
            own[key] = value
    if parent is not None:
        own["__parentId"] = parent
    lines.append(json.dumps(own, separators=(",", ":")))
    for child in children:
        _flatten(child, own.get("id"), lines)
