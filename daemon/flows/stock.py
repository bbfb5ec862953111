"""Stock flow: smart sync writes only quantities that differ from what we last pushed.

Quantities are kept per (SKU, location). A level for a SKU whose product has not reached the
channel yet is parked as *pending* (never written into the void, never lost); when the product
gets linked, a ``stock_waiting`` job writes the parked quantities. Writes are batched up to the
channel's stock batch size. This module is the only one that writes ``stock_state``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from syncwright.connectors.model import StockLevel, WriteResult
from syncwright.daemon import synclog
from syncwright.daemon.flows.context import Commit, FlowContext, chunks, fetch_in, map_batches

FLOW = "stock"


@dataclass(frozen=True, slots=True)
class StockOutcome:
    level: StockLevel
    result: WriteResult | None  # None: not written (unchanged, or parked)
    parked: bool = False


def level_id(level: StockLevel) -> str:
    return f"{level.sku}|{level.location}"


async def push_levels(
    ctx: FlowContext, levels: Sequence[StockLevel], *, full: bool = False
) -> list[StockOutcome]:
    """Write the levels that differ from the last pushed quantity (all of them when ``full``)."""
    latest = {level.key: level for level in levels}
    skus = sorted({sku for sku, _ in latest})
    pushed = {
        (row["sku"], row["location"]): row["quantity"]
        for row in await fetch_in(
            ctx.store,
            "SELECT sku, location, quantity FROM stock_state WHERE connection = ? AND sku IN",
            (ctx.connection,),
            skus,
        )
    }
    linked = {
        row["source_id"]
        for row in await fetch_in(
            ctx.store,
            "SELECT source_id FROM links WHERE connection = ? AND entity = 'variant'"
            " AND source_id IN",
            (ctx.connection,),
            skus,
        )
    }
    outcomes: list[StockOutcome] = []
    to_write: list[StockLevel] = []
    for key, level in latest.items():
        if level.sku not in linked:
            outcomes.append(StockOutcome(level, None, parked=True))
        elif not full and pushed.get(key) == level.quantity:
            outcomes.append(StockOutcome(level, None))
        else:
            to_write.append(level)
    size = ctx.channel.capabilities.stock_batch_size

    async def keep(done: list[tuple[Sequence[StockLevel], list[WriteResult]]]) -> None:
        # Batches written before one failed: recorded now, so the retry skips them.
        await ctx.store.write(record(ctx, _outcomes(done)))

    return outcomes + _outcomes(await map_batches(to_write, size, ctx.channel.set_stock, keep))


def _outcomes(batches: list[tuple[Sequence[StockLevel], list[WriteResult]]]) -> list[StockOutcome]:
    outcomes: list[StockOutcome] = []
    for batch, answers in batches:
        results = {r.external_id: r for r in answers}
        for level in batch:
            result = results.get(level_id(level)) or WriteResult(
                external_id=level_id(level), error="the channel did not answer for this level"
            )
            outcomes.append(StockOutcome(level, result))
    return outcomes


async def all_linked(ctx: FlowContext, levels: Sequence[StockLevel]) -> bool:
    """Whether every SKU of ``levels`` is linked to the channel (its product got there)."""
    skus = sorted({level.sku for level in levels})
    rows = await fetch_in(
        ctx.store,
        "SELECT source_id FROM links WHERE connection = ? AND entity = 'variant' AND source_id IN",
        (ctx.connection,),
        skus,
    )
    return len(rows) == len(skus)


def record(ctx: FlowContext, outcomes: Sequence[StockOutcome]) -> Commit:
    """The writes that make ``outcomes`` durable, one ``executemany`` per kind of row."""
    now = ctx.now()
    cn = ctx.connection

    def commit(conn: sqlite3.Connection) -> None:
        ok: list[str] = []
        parked: list[tuple[object, ...]] = []
        pushed: list[StockLevel] = []
        unchanged: list[tuple[object, ...]] = []
        for out in outcomes:
            lvl = out.level
            if out.parked:
                parked.append((cn, lvl.sku, lvl.location, lvl.quantity))
            elif out.result is None or out.result.ok:
                ok.append(level_id(lvl))
                if out.result is not None:
                    pushed.append(lvl)
                else:
                    unchanged.append((cn, lvl.sku, lvl.location))
            else:
                synclog.add_error(conn, cn, FLOW, level_id(lvl), out.result.error or "", now)
        conn.executemany(
            "INSERT INTO stock_state (connection, sku, location, pending) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (connection, sku, location) DO UPDATE SET pending = excluded.pending",
            parked,
        )
        save_pushed(conn, cn, pushed, now)
        conn.executemany(
            "UPDATE stock_state SET pending = NULL WHERE connection = ? AND sku = ?"
            " AND location = ? AND pending IS NOT NULL",
            unchanged,
        )
        synclog.resolve(conn, cn, FLOW, ok)
        if parked:
            release_waiting_stock(ctx, conn, [out.level.sku for out in outcomes if out.parked])

    return commit


def save_pushed(
    conn: sqlite3.Connection, connection: str, levels: Sequence[StockLevel], now: float
) -> None:
    """Inside a write: the channel holds these quantities now (written, or found equal)."""
    conn.executemany(
        "INSERT INTO stock_state (connection, sku, location, quantity, pending, pushed_at)"
        " VALUES (?, ?, ?, ?, NULL, ?) ON CONFLICT (connection, sku, location) DO UPDATE SET"
        " quantity = excluded.quantity, pending = NULL, pushed_at = excluded.pushed_at",
        [(connection, lvl.sku, lvl.location, lvl.quantity, now) for lvl in levels],
    )


def release_waiting_stock(ctx: FlowContext, conn: sqlite3.Connection, skus: Sequence[str]) -> None:
    """Inside a write: if any of ``skus`` is linked and has parked stock, queue the job that
    writes it. Called when products get linked, and when stock is parked (the product may have
    been linked by another job since this one looked)."""
    from syncwright.daemon.jobs.job import JobSpec

    for chunk in chunks(skus, 900):
        marks = ",".join("?" * len(chunk))
        row = conn.execute(
            f"SELECT 1 FROM stock_state s JOIN links l ON l.connection = s.connection"
            f" AND l.entity = 'variant' AND l.source_id = s.sku"
            f" WHERE s.connection = ? AND s.pending IS NOT NULL AND s.sku IN ({marks}) LIMIT 1",
            (ctx.connection, *chunk),
        ).fetchone()
        if row is not None:
            ctx.queue.enqueue_in(
                conn,
                ctx.connection,
                JobSpec(kind="stock_waiting", cls=2, dedup_key="stock_waiting"),
            )
            return


async def write_waiting(ctx: FlowContext, limit: int = 1000) -> tuple[list[StockOutcome], bool]:
    """Write parked quantities of SKUs that are now linked; returns (outcomes, more left)."""
    rows = await ctx.store.fetchall(
        "SELECT s.sku, s.location, s.pending FROM stock_state s JOIN links l"
        " ON l.connection = s.connection AND l.entity = 'variant' AND l.source_id = s.sku"
        " WHERE s.connection = ? AND s.pending IS NOT NULL ORDER BY s.sku, s.location LIMIT ?",
        (ctx.connection, limit + 1),
    )
    more = len(rows) > limit
    levels = [
        StockLevel(sku=r["sku"], location=r["location"], quantity=r["pending"])
        for r in rows[:limit]
    ]
    return await push_levels(ctx, levels, full=True), more
