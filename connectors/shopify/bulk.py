"""Full reads through bulkOperationRunQuery: start, poll to completion, read the JSONL.

The result file has one JSON object per line; a nested connection's children come as their own
lines carrying ``__parentId`` (the parent's id). We fold them back under their parent as
``{"edges": [{"node": child}]}`` so the same mapping code reads bulk and paged answers.
Returns None when the operation fails or expires: the caller then pages instead.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx

from syncwright.connectors.errors import PayloadError, PermanentError, TransientError
from syncwright.connectors.shopify import queries
from syncwright.connectors.shopify.transport import ShopifyTransport

POLL_SECONDS = 0.5
MAX_POLLS = 7200
#: Child lines are grouped under this field of their parent, by the child's gid kind.
CHILD_FIELD = {"ProductVariant": "variants"}


async def bulk_products(t: ShopifyTransport, system: str) -> list[dict[str, Any]] | None:
    url = await run(t, queries.BULK_PRODUCTS, system)
    if url is None:
        return None
    return assemble(await download(url, system))


async def run(t: ShopifyTransport, inner: str, system: str) -> str | None:
    data = await t.call(queries.BULK_RUN_GROUPED, {"query": inner})
    answer = data.get("bulkOperationRunQuery") or {}
    if answer.get("userErrors"):
        raise PermanentError(f"bulk query refused: {answer['userErrors']}", system=system)
    operation = answer.get("bulkOperation") or {}
    op_id = operation.get("id")
    if not isinstance(op_id, str):
        raise PayloadError("bulkOperationRunQuery answer without an id", system=system)
    for _ in range(MAX_POLLS):
        polled = (await t.call(queries.BULK_POLL, {"id": op_id})).get("node") or {}
        status = polled.get("status")
        if status == "COMPLETED":
            url = polled.get("url")
            return url if isinstance(url, str) else ""
        if status in ("FAILED", "CANCELED", "EXPIRED"):
            return None
        await anyio.sleep(POLL_SECONDS)
    return None


async def download(url: str, system: str) -> list[dict[str, Any]]:
    if not url:
        return []  # Shopify gives no URL when nothing matched
    try:
        async with httpx.AsyncClient(timeout=120) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        raise TransientError(f"bulk result download failed: {exc!r}", system=system) from exc
    if response.status_code != 200:
        raise TransientError(f"bulk result download: HTTP {response.status_code}", system=system)
    rows = []
    for number, line in enumerate(response.text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise PayloadError(f"bulk result line {number} is not JSON", system=system) from exc
        if isinstance(row, dict):
            rows.append(row)
    return rows


def assemble(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold ``__parentId`` lines under their parents; return the top-level objects in order."""
    by_id: dict[str, dict[str, Any]] = {}
    top: list[dict[str, Any]] = []
    for row in rows:
        parent_id = row.pop("__parentId", None)
        if isinstance(row.get("id"), str):
            by_id[row["id"]] = row
        if parent_id is None:
            top.append(row)
            continue
        parent = by_id.get(parent_id)
        if parent is None:
            continue  # a child before its parent: Shopify writes parents first
        kind = str(row.get("id", "")).split("/")[-2] if "/" in str(row.get("id", "")) else ""
        field = CHILD_FIELD.get(kind, "children")
        parent.setdefault(field, {"edges": []})["edges"].append({"node": row})
    return top
