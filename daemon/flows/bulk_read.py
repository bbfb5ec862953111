"""One bulk read of the channel's products per full sync, for large catalogues.

A full sync verifies products page by page: each slice reads the channel's copies of its page
(``read_products``). A channel that declares ``Capabilities.bulk_read`` can instead hand over
every product it holds in one operation (Shopify: bulkOperationRunQuery, a handful of cost
points however large the catalogue). Once the connection has ``bulk_read_threshold`` linked
products, the first products slice of a run makes that read and keeps only the content hash of
each copy, in memory, for the run; every later slice compares against it without a call.

When the bulk read fails, or the daemon restarts halfway (the snapshot is not persisted), the
slices go back to the paged reads. A budget refusal is not a failure: it propagates, so the
slice waits for the budget like any other job. The snapshot is as old as the run: drift made on
the channel after it is found by the next ghost sweep or full sync, and items the daemon writes
meanwhile are skipped by the full sync anyway (written since the run started).
"""

from __future__ import annotations

import structlog

from syncwright.connectors.base import BulkProductReader
from syncwright.connectors.errors import ConnectorError, RateLimitedError
from syncwright.daemon import synclog
from syncwright.daemon.flows.context import FlowContext

log = structlog.get_logger("syncwright.bulk_read")

#: (connection, run id, run start) -> the channel's content hashes by product id, or None
#: when the bulk read failed for that run. One entry per connection: the latest run's.
_SNAPSHOTS: dict[str, tuple[tuple[int, float], dict[str, str] | None]] = {}


async def linked_products(ctx: FlowContext) -> int:
    row = await ctx.store.fetchone(
        "SELECT count(*) AS n FROM links WHERE connection = ? AND entity = 'product'",
        (ctx.connection,),
    )
    return 0 if row is None else int(row["n"])


def wanted(ctx: FlowContext) -> bool:
    """Whether this connection's channel can read in bulk and the config allows it."""
    channel = ctx.channel
    return (
        ctx.settings.bulk_read_threshold > 0
        and channel.capabilities.bulk_read
        and isinstance(channel, BulkProductReader)
    )


async def channel_hashes(ctx: FlowContext, run: synclog.FullRun) -> dict[str, str] | None:
    """The channel's product hashes for this run (read in bulk on first use), or None: read
    page by page (small catalogue, no bulk capability, or the bulk read failed)."""
    if not wanted(ctx):
        return None
    key = (run.run_id, run.started_at)
    cached = _SNAPSHOTS.get(ctx.connection)
    if cached is not None and cached[0] == key:
        return cached[1]
    if await linked_products(ctx) < ctx.settings.bulk_read_threshold:
        return None  # counted again by the next slice: cheap, and the catalogue may grow
    snapshot = await _read(ctx)
    _SNAPSHOTS[ctx.connection] = (key, snapshot)
    return snapshot


async def _read(ctx: FlowContext) -> dict[str, str] | None:
    channel = ctx.channel
    assert isinstance(channel, BulkProductReader)
    try:
        held = await channel.bulk_products()
    except RateLimitedError:
        raise
    except ConnectorError as exc:
        log.warning("full.bulk_read_failed", connection=ctx.connection, error=str(exc))
        return None
    if held is None:
        log.warning("full.bulk_read_failed", connection=ctx.connection, error="refused")
        return None
    log.info("full.bulk_read", connection=ctx.connection, products=len(held))
    return {p.external_id: p.content_hash() for p in held}
