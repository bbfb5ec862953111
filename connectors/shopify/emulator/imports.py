"""Bulk imports in the emulator: staged uploads, bulkOperationRunMutation, cancel and polling.

``stagedUploadsCreate`` (resource BULK_MUTATION_VARIABLES) answers a local upload URL,
``/_emulator/uploads``, with form fields shaped like Shopify's (``key``, ``Content-Type``,
``success_action_status``, ``acl``, ``policy`` and the ``x-goog-*`` signature fields); the
upload route takes the multipart POST with those fields and a ``file`` part. The ``key`` is the
``stagedUploadPath`` that ``bulkOperationRunMutation`` then names.

The mutation document is validated against the schema of the version; the operation then runs
in the background, one line of the file at a time, each line's variables validated and coerced
against the mutation (an invalid line answers ``errors`` on its result line; the others go on).
Result lines are ``{"data": ..., "__lineNumber": n}`` (0-based), in input order. Bulk lines
draw nothing from the cost bucket. Mutations and queries have separate concurrency limits:
one of each before 2026-01, five from 2026-01. A FAILED or CANCELED operation keeps the lines
it completed behind ``partialDataUrl``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import anyio
import anyio.lowlevel
from graphql import DocumentNode
from starlette.requests import Request
from starlette.responses import Response

from syncwright.connectors.shopify.emulator.bulk import BulkRunner
from syncwright.connectors.shopify.emulator.schema import check
from syncwright.connectors.shopify.emulator.search import compile_search
from syncwright.connectors.shopify.emulator.store import now
from syncwright.connectors.shopify.emulator.views import connection, parse_gid

#: (version, document, variables) -> one result line's body ({"data": ...} or {"errors": ...}).
LineRunner = Callable[[str, DocumentNode, dict[str, Any]], dict[str, Any]]
#: Lines run between two yields to the event loop.
LINES_PER_TICK = 50


def limit_for(version: str) -> int:
    return 5 if version >= "2026-01" else 1


def _error(code: str, message: str, field: list[str] | None = None) -> dict[str, Any]:
    return {
        "bulkOperation": None,
        "userErrors": [{"field": field, "message": message, "code": code}],
    }


class BulkImports:
    def __init__(self, runner: BulkRunner, run_line: LineRunner) -> None:
        self.runner = runner
        self.run_line = run_line
        self.issued: dict[str, str] = {}  # upload key -> signature
        self.uploads: dict[str, bytes] = {}
        #: Fault injection: an operation fails after this many lines (None: never).
        self.fail_after: int | None = None
        #: Fault injection: wait this long before running the lines (room to cancel, to kill).
        self.hold_seconds = 0.0
        self.lines_run = 0

    # -- GraphQL roots --------------------------------------------------------------------

    def mutations(self, version: str) -> dict[str, Any]:
        return {
            "stagedUploadsCreate": lambda info, input: self.staged(input),
            "bulkOperationRunMutation": lambda info, **a: self.start(version, **a),
            "bulkOperationCancel": lambda info, id: self.cancel(id),
        }

    def queries(self, version: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "currentBulkOperation": lambda info, type="QUERY": self.current(type),
        }
        if version >= "2026-01":
            out["bulkOperation"] = lambda info, id: self.runner.view(id)
            out["bulkOperations"] = self.listing
        return out

    def staged(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        targets = []
        for item in inputs:
            if item.get("resource") != "BULK_MUTATION_VARIABLES":
                return {
                    "stagedTargets": None,
                    "userErrors": [{"field": ["input"], "message": "resource not emulated"}],
                }
            key = f"tmp/1/bulk/{secrets.token_hex(8)}/{item.get('filename') or 'bulk.jsonl'}"
            signature = secrets.token_hex(16)
            self.issued[key] = signature
            fields = {
                "Content-Type": item.get("mimeType") or "text/jsonl",
                "success_action_status": "201",
                "acl": "private",
                "key": key,
                "x-goog-date": now().strftime("%Y%m%dT%H%M%SZ"),
                "x-goog-credential": "emulator/auto/storage/goog4_request",
                "x-goog-algorithm": "GOOG4-RSA-SHA256",
                "x-goog-signature": signature,
                "policy": secrets.token_hex(12),
            }
            targets.append(
                {
                    "url": f"{self.runner.base_url()}/_emulator/uploads",
                    "resourceUrl": None,
                    "parameters": [{"name": k, "value": v} for k, v in fields.items()],
                }
            )
        return {"stagedTargets": targets, "userErrors": []}

    def start(
        self,
        version: str,
        mutation: str,
        stagedUploadPath: str,
        clientIdentifier: str | None = None,
        groupObjects: bool | None = None,
    ) -> dict[str, Any]:
        document, errors = check(version, mutation)
        if document is None:
            text = "; ".join(e.message for e in errors)
            return _error("INVALID_MUTATION", f"Invalid mutation: {text}", ["mutation"])
        body = self.uploads.get(stagedUploadPath)
        if body is None:
            return _error(
                "NO_SUCH_FILE", "The JSONL file could not be found.", ["stagedUploadPath"]
            )
        try:
            lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
            if not all(isinstance(v, dict) for v in lines):
                raise ValueError
        except ValueError:
            return _error("INVALID_STAGED_UPLOAD_FILE", "The JSONL file is not valid.")
        running = [
            o
            for o in self.runner.operations.values()
            if o["type"] == "MUTATION" and o["status"] in ("CREATED", "RUNNING", "CANCELING")
        ]
        limit = limit_for(version)
        if len(running) >= limit:
            code = "LIMIT_REACHED" if limit > 1 else "OPERATION_IN_PROGRESS"
            return _error(code, "A bulk mutation operation for this app and shop is running.")
        op = self.runner.new_operation("MUTATION", mutation)
        op["client"] = clientIdentifier
        if self.runner.tg is None:
            raise RuntimeError("the bulk runner is not started")
        self.runner.tg.start_soon(self._run, op, version, document, lines)
        return {"bulkOperation": self.runner.view(_gid(op)), "userErrors": []}

    def cancel(self, gid: str) -> dict[str, Any]:
        op = self.runner.operations.get(parse_gid(gid, "BulkOperation") or -1)
        if op is None:
            return {
                "bulkOperation": None,
                "userErrors": [{"field": ["id"], "message": "not found"}],
            }
        if op["status"] in ("CREATED", "RUNNING"):
            op["status"] = "CANCELING"
        return {"bulkOperation": self.runner.view(gid), "userErrors": []}

    def current(self, kind: str) -> dict[str, Any] | None:
        mine = [o for o in self.runner.operations.values() if o["type"] == kind]
        return self.runner.view(_gid(mine[-1])) if mine else None

    def listing(self, info: Any, **a: Any) -> dict[str, Any]:
        match = compile_search(
            a.get("query"),
            {
                "status": lambda o: o["status"].lower(),
                "operation_type": lambda o: o["type"].lower(),
                "id": lambda o: o["id"],
            },
        )
        rows = [o for o in self.runner.operations.values() if match(o)]
        return connection(
            info, rows, lambda o: o["id"], lambda o: self.runner.view(_gid(o)) or {}, a
        )

    # -- running --------------------------------------------------------------------------

    async def _run(
        self, op: dict[str, Any], version: str, document: DocumentNode, lines: list[dict[str, Any]]
    ) -> None:
        op["status"] = "RUNNING"
        await anyio.sleep(self.runner.delay)
        held = 0.0
        while held < self.hold_seconds and op["status"] != "CANCELING":
            await anyio.sleep(0.02)
            held += 0.02
        out: list[str] = []
        for number, variables in enumerate(lines):
            if op["status"] == "CANCELING":
                self._finish(op, out, "CANCELED", None)
                return
            if self.fail_after is not None and number >= self.fail_after:
                self._finish(op, out, "FAILED", "INTERNAL_SERVER_ERROR")
                return
            try:
                answer = self.run_line(version, document, variables)
            except Exception as exc:  # a bug in the emulator must not take the server down
                answer = {"errors": [{"message": f"internal error: {exc!r}"}]}
            answer["__lineNumber"] = number
            out.append(json.dumps(answer, separators=(",", ":")))
            self.lines_run += 1
            if number % LINES_PER_TICK == LINES_PER_TICK - 1:
                await anyio.lowlevel.checkpoint()
        self._finish(op, out, "CANCELED" if op["status"] == "CANCELING" else "COMPLETED", None)

    def _finish(self, op: dict[str, Any], out: list[str], status: str, error: str | None) -> None:
        body = ("\n".join(out) + "\n").encode() if out else b""
        self.runner.files[op["id"]] = body
        op.update(
            status=status,
            error=error,
            completed_at=now(),
            objects=len(out),
            roots=len(out),
            size=len(body),
            partial=status != "COMPLETED" and bool(out),
        )

    # -- the upload route -----------------------------------------------------------------

    async def upload(self, request: Request) -> Response:
        """The staged upload target: a multipart form with the issued fields and ``file``."""
        head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + await request.body())
        fields: dict[str, str] = {}
        content: bytes | None = None
        if message.is_multipart():
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if not isinstance(name, str) or not isinstance(payload, bytes):
                    continue
                if name == "file":
                    content = payload
                else:
                    fields[name] = payload.decode()
        key = fields.get("key", "")
        if content is None or self.issued.get(key) != fields.get("x-goog-signature"):
            return Response(_xml("AccessDenied", "Invalid form or signature."), 403)
        self.uploads[key] = content
        body = f"<PostResponse><Key>{key}</Key></PostResponse>"
        return Response(body, status_code=201, media_type="application/xml")


def _gid(op: dict[str, Any]) -> str:
    return f"gid://shopify/BulkOperation/{op['id']}"


def _xml(code: str, message: str) -> str:
    return f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
