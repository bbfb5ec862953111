"""``item`` - one product's sync health: what Syncwright knows of it, for "is this item in step?".

args: ``connection`` (str), ``id`` (str: the product's back-office or channel id, or one of its
SKUs). result: ``{"connection", "query", "found": bool, "product": {"source_id", "channel_id"}
or null, "variants": [{"sku", "channel_id"}], "state": {"hash", "token" (the change token of
the version last written), "written_at", "last_verified_at", "last_error", "seen_at" (when it
was last read from the source; null: not since this was recorded), "seen_token" (its change
token then)} or null, "stock": [{"sku", "location", "quantity" (last pushed; null: never),
"pending", "pushed_at"}], "errors": [open sync-log errors of the product or its SKUs: "flow",
"external_id", "message", "first_seen", "last_seen"], "jobs": [the last 10 jobs that named it:
"id", "kind", "cls", "state", "enqueued_at", "finished_at", "attempts", "last_error"]}``.
Nothing known of the id is not an error: ``found`` is false. errors: 2001 unknown connection.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from syncwright.daemon.control.commands.base import Call, ConnectionArgs, Result

JOBS = 10


class Args(ConnectionArgs):
    id: str = Field(min_length=1, max_length=256)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f'%"{escaped}"%'


async def run(call: Call, args: Args) -> Result:
    ctx = call.ctx
    ctx.check_connection(args.connection)
    store = ctx.services.store
    name, key = args.connection, args.id.strip()
    product = await store.fetchone(
        "SELECT source_id, channel_id FROM links WHERE connection = ? AND entity = 'product'"
        " AND (source_id = ? OR channel_id = ?)",
        (name, key, key),
    )
    if product is None:  # a SKU: its variant link names the channel product before the ':'
        variant = await store.fetchone(
            "SELECT channel_id FROM links WHERE connection = ? AND entity = 'variant'"
            " AND source_id = ?",
            (name, key),
        )
        if variant is not None and ":" in variant[0]:
            product = await store.fetchone(
                "SELECT source_id, channel_id FROM links WHERE connection = ?"
                " AND entity = 'product' AND channel_id = ?",
                (name, variant[0].split(":", 1)[0]),
            )
    variants: list[dict[str, Any]] = []
    state = None
    if product is not None:
        variants = [
            {"sku": r[0], "channel_id": r[1]}
            for r in await store.fetchall(
                "SELECT source_id, channel_id FROM links WHERE connection = ?"
                " AND entity = 'variant' AND channel_id LIKE ? ESCAPE '\\' ORDER BY source_id",
                (name, product[1].replace("_", "\\_").replace("%", "\\%") + ":%"),
            )
        ]
        row = await store.fetchone(
            "SELECT hash, token, written_at, last_verified_at, last_error, seen_at, seen_token"
            " FROM item_state"
            " WHERE connection = ? AND entity = 'product' AND source_id = ?",
            (name, product[0]),
        )
        state = dict(row) if row is not None else None
    skus = [v["sku"] for v in variants] or ([key] if product is None else [])
    names = [key, *skus, *([product[0], product[1]] if product is not None else [])]
    unique = sorted(set(names))
    marks = ", ".join("?" * len(unique))
    stock = [
        dict(r)
        for r in await store.fetchall(
            "SELECT sku, location, quantity, pending, pushed_at FROM stock_state"
            f" WHERE connection = ? AND sku IN ({marks}) ORDER BY sku, location",
            (name, *unique),
        )
    ]
    errors = [
        dict(r)
        for r in await store.fetchall(
            "SELECT flow, external_id, message, first_seen, last_seen FROM sync_errors"
            f" WHERE connection = ? AND external_id IN ({marks}) ORDER BY last_seen DESC",
            (name, *unique),
        )
    ]
    named = " OR ".join(["payload LIKE ? ESCAPE '\\'"] * len(unique))
    jobs = [
        dict(r)
        for r in await store.fetchall(
            "SELECT id, kind, class AS cls, state, enqueued_at, finished_at, attempts, last_error"
            f" FROM jobs WHERE connection = ? AND ({named}) ORDER BY id DESC LIMIT ?",
            (name, *map(_like, unique), JOBS),
        )
    ]
    found = bool(product is not None or stock or errors or jobs)
    return {
        "connection": name,
        "query": key,
        "found": found,
        "product": None if product is None else {"source_id": product[0], "channel_id": product[1]},
        "variants": variants,
        "state": state,
        "stock": stock,
        "errors": errors,
        "jobs": jobs,
    }
