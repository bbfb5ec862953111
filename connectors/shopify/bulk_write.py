"""Large product writes through one bulk mutation instead of a productSet call per product.

``BulkWriter.write(products)`` uploads the productSet variables as JSONL (stagedUploadsCreate,
then a multipart POST to the staged target), starts ``bulkOperationRunMutation``, polls the
operation and reads its result file: one line per input line, ``__lineNumber`` its position.
It returns the productSet answer per source id for the lines that ran; a product without one
(the operation failed or was cancelled before it, or Shopify refused to start it) is for the
caller to write per call, so nothing is written twice. Bulk lines draw nothing from the cost
bucket: a bulk write costs a few calls whatever its size.

A daemon killed while an operation runs finds it again: the first bulk write of a connector
looks for the latest bulk mutations of ours (their mutation text is ours; running, or ended
while no daemon was there to collect them), waits for those still running and keeps
its answers by the source id each line reads back; the batches that hold those products take
them instead of writing again, once a read-back shows the shop holds the product as it is to be
written (it may have changed at the source since the killed daemon uploaded it).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import anyio
import httpx

from syncwright.connectors.errors import PayloadError, TransientError
from syncwright.connectors.model import Product, WriteResult
from syncwright.connectors.shopify import queries, wire
from syncwright.connectors.shopify.bulk import download
from syncwright.connectors.shopify.transport import ShopifyTransport
from syncwright.connectors.shopify.versions import Features

Answer = dict[str, Any]
Verifier = Callable[[Sequence[Product]], Awaitable[set[str]]]
#: Polls start at the first interval and back off up to the second (seconds).
POLL_FIRST, POLL_MAX = 0.25, 5.0
#: How long a write waits for a free bulk slot before it writes per call instead.
SLOT_WAIT_SECONDS = 120.0
BUSY = ("LIMIT_REACHED", "OPERATION_IN_PROGRESS")
ACTIVE = ("CREATED", "RUNNING", "CANCELING")


class BulkWriter:
    def __init__(self, t: ShopifyTransport, features: Features, system: str) -> None:
        self.t = t
        self.features = features
        self.system = system
        self.started: set[str] = set()
        self.recovered: dict[str, Answer] = {}
        self.unfinished: list[str] = []  # started here, not collected (polling failed)
        self._recovery_done = False
        self._lock = anyio.Lock()
        self.poll_first = POLL_FIRST
        self.slot_wait = SLOT_WAIT_SECONDS

    async def write(
        self, products: Sequence[Product], verify: Verifier | None = None
    ) -> dict[str, Answer]:
        """productSet answers (or ``{"errors": [...]}`` for a line Shopify could not run) by
        source id; products missing from it were not written. ``verify`` names, of products
        that a recovered operation wrote, those the shop holds as they are now: only their
        answers are taken, the others are written again."""
        await self._recover()
        while self.unfinished:
            await self._keep(self.unfinished[0])
            self.unfinished.pop(0)
        taken = [p for p in products if p.external_id in self.recovered]
        if taken and verify is not None:
            same = await verify(taken)
            taken = [p for p in taken if p.external_id in same]
        kept = {p.external_id for p in taken}
        for p in products:
            if p.external_id in self.recovered and p.external_id not in kept:
                del self.recovered[p.external_id]  # the shop holds something else: write it
        answers = {p.external_id: self.recovered[p.external_id] for p in taken}
        todo = [p for p in products if p.external_id not in answers]
        if not todo:
            return answers
        op_id = await self._start(todo)
        if op_id is None:
            return answers
        try:
            rows = await self._collect(op_id)
        except BaseException:
            # Polling or the download failed (or the job was cancelled): the operation may
            # still write. The job's next try collects it first instead of writing again.
            self.unfinished.append(op_id)
            raise
        for row in rows:
            number = row.get("__lineNumber")
            if isinstance(number, int) and 0 <= number < len(todo):
                answer = _answer(row)
                if answer is not None:
                    answers[todo[number].external_id] = answer
        return answers

    # -- one operation --------------------------------------------------------------------

    async def _start(self, products: Sequence[Product]) -> str | None:
        body = "".join(
            json.dumps(wire.product_set(p), default=str, separators=(",", ":")) + "\n"
            for p in products
        ).encode()
        path = await self._upload(body)
        waited = 0.0
        while True:
            data = await self.t.call(
                queries.BULK_RUN_MUTATION,
                {"mutation": queries.PRODUCT_SET_BULK, "path": path, "client": "syncwright"},
            )
            answer = data.get("bulkOperationRunMutation") or {}
            errors = answer.get("userErrors") or []
            codes = {e.get("code") for e in errors if isinstance(e, dict)}
            if errors and codes & set(BUSY) and waited < self.slot_wait:
                await anyio.sleep(POLL_MAX)  # another operation holds the slot
                waited += POLL_MAX
                continue
            if errors:
                return None  # refused: the caller writes per call
            op_id = (answer.get("bulkOperation") or {}).get("id")
            if not isinstance(op_id, str):
                raise PayloadError("bulkOperationRunMutation without an id", system=self.system)
            self.started.add(op_id)
            return op_id

    async def _upload(self, body: bytes) -> str:
        data = await self.t.call(
            queries.STAGED_UPLOAD,
            {
                "input": [
                    {
                        "resource": "BULK_MUTATION_VARIABLES",
                        "filename": "products.jsonl",
                        "mimeType": "text/jsonl",
                        "httpMethod": "POST",
                    }
                ]
            },
        )
        targets = (data.get("stagedUploadsCreate") or {}).get("stagedTargets") or []
        if not targets or not isinstance(targets[0], dict):
            raise PayloadError("stagedUploadsCreate gave no target", system=self.system)
        target = targets[0]
        fields = {
            str(p["name"]): str(p["value"])
            for p in target.get("parameters") or []
            if isinstance(p, dict) and "name" in p
        }
        if "key" not in fields:
            raise PayloadError("staged upload target without a key", system=self.system)
        try:
            async with httpx.AsyncClient(timeout=300) as client:
                response = await client.post(
                    str(target.get("url")),
                    data=fields,
                    files={"file": ("products.jsonl", body, "text/jsonl")},
                )
        except httpx.HTTPError as exc:
            raise TransientError(f"staged upload failed: {exc!r}", system=self.system) from exc
        if response.status_code not in (200, 201, 204):
            raise TransientError(f"staged upload: HTTP {response.status_code}", system=self.system)
        return fields["key"]

    async def _collect(self, op_id: str) -> list[dict[str, Any]]:
        """Poll to the end; the result rows (all, or the partial ones of a failed run)."""
        pause = self.poll_first
        while True:
            node = (await self.t.call(queries.BULK_WRITE_POLL, {"id": op_id})).get("node") or {}
            status = node.get("status")
            if status == "COMPLETED":
                return await download(str(node.get("url") or ""), self.system)
            if status not in ACTIVE:  # FAILED, CANCELED, EXPIRED, or gone
                url = node.get("partialDataUrl")
                return await download(url, self.system) if isinstance(url, str) else []
            await anyio.sleep(pause)
            pause = min(POLL_MAX, pause * 2)

    # -- after a restart ------------------------------------------------------------------

    async def _recover(self) -> None:
        async with self._lock:
            if self._recovery_done:
                return
            for op in await self._ours():
                await self._keep(str(op["id"]))
            self._recovery_done = True  # only once it worked: a failed look-up is tried again

    async def _keep(self, op_id: str) -> None:
        """Wait for an operation nobody collected; keep its answers by the source id read back."""
        for row in await self._collect(op_id):
            answer = _answer(row)
            product = ((answer or {}).get("productSet") or {}).get("product") or {}
            source = (product.get("source") or {}).get("value")
            if isinstance(source, str) and answer is not None:
                self.recovered[source] = answer

    async def _ours(self) -> list[dict[str, Any]]:
        if self.features.version >= "2026-01":
            data = await self.t.call(queries.BULK_MUTATIONS_RUNNING)
            nodes = (data.get("bulkOperations") or {}).get("nodes") or []
        else:
            nodes = [(await self.t.call(queries.BULK_MUTATION_CURRENT)).get("currentBulkOperation")]
        return [
            n
            for n in nodes
            if isinstance(n, dict)
            and n.get("query") == queries.PRODUCT_SET_BULK
            and n.get("id") not in self.started
        ]


def _answer(row: dict[str, Any]) -> Answer | None:
    """A result line as a productSet answer ``{"productSet": ...}``, or ``{"errors": ...}``."""
    data = row.get("data")
    if isinstance(data, dict) and isinstance(data.get("productSet"), dict):
        return {"productSet": data["productSet"]}
    errors = row.get("errors")
    if isinstance(errors, list) and errors:
        return {"errors": errors}
    return None


def outcome(
    product: Product, data: Mapping[str, Any], system: str
) -> tuple[WriteResult, dict[str, Any] | None]:
    """A productSet answer (per call or a bulk line) as the item's result; the product
    written, if it was."""
    pid = product.external_id
    if data.get("errors"):  # a bulk line Shopify could not run
        text = "; ".join(str(e.get("message")) for e in data["errors"] if isinstance(e, dict))
        return WriteResult(external_id=pid, error=text or "refused"), None
    answer = data.get("productSet")
    if not isinstance(answer, dict):
        raise PayloadError("productSet answer missing", system=system)
    errors = answer.get("userErrors") or []
    created = answer.get("product")
    if errors or not isinstance(created, dict):
        text = "; ".join(
            f"{'.'.join(str(p) for p in e.get('field') or [])}: {e.get('message')}"
            for e in errors
            if isinstance(e, dict)
        )
        return WriteResult(external_id=pid, error=text or "refused"), None
    return WriteResult(external_id=pid, remote_id=str(created.get("id"))), created
