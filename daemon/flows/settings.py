"""Store settings flow: the back office's base currency, pushed to the channel when it changes.

A ``settings_sync`` job reads the back office's settings (one call), hashes what the channel
takes (the currency; the channel keeps its own shop name) and writes only when that hash
differs from what was last written (item state, entity 'settings'). On connect the write is
forced, since the channel may hold anything. With ``verify`` the channel's settings are read
back as well and drift made there directly is repaired. A refusal from the channel is a
sync-log error and is not retried until the settings change.

The ``connect`` job, run once when a connection first starts, sets the channel up: it ensures
the default price list (prices.py) and pushes the settings, forced. Running it again is
harmless: the list is ensured, not duplicated, and the settings are written again.
"""

from __future__ import annotations

import sqlite3

from syncwright.connectors.base import SettingsSource, SettingsTarget
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import StoreSettings
from syncwright.daemon import synclog
from syncwright.daemon.flows import item_state, prices
from syncwright.daemon.flows.context import Commit, FlowContext
from syncwright.daemon.jobs.job import Job, JobSpec

FLOW = "settings"
ENTITY = "settings"
#: Item id of the settings in item_state and the sync log: one record per connection.
ITEM = "store"


def settings_spec(cls: int = 2, *, force: bool = False, verify: bool = False) -> JobSpec:
    """The job that syncs store settings (the scheduler queues it with each round of pulls)."""
    key = "settings:force" if force else "settings:verify" if verify else "settings"
    return JobSpec(
        kind="settings_sync",
        cls=cls,
        payload={"force": force, "verify": verify},
        dedup_key=key,
    )


def connect_spec(cls: int = 1, *, settings: bool = True) -> JobSpec:
    """The job that sets a connection's channel up on its first start: the price list, and
    the store settings when the connection syncs them."""
    return JobSpec(kind="connect", cls=cls, payload={"settings": settings}, dedup_key="connect")


async def connect(ctx: FlowContext, job: Job) -> Commit:
    steps = [await prices.ensure_price_list(ctx)]
    wanted = bool(job.payload.get("settings", True))
    if (
        wanted
        and isinstance(ctx.source, SettingsSource)
        and isinstance(ctx.channel, SettingsTarget)
    ):
        steps.append(await push_settings(ctx, force=True))

    def commit(conn: sqlite3.Connection) -> None:
        for step in steps:
            step(conn)

    return commit


def pushed_part(settings: StoreSettings) -> StoreSettings:
    """What the channel takes from the back office: the currency (its own name stays)."""
    return StoreSettings(currency=settings.currency)


async def sync_settings(ctx: FlowContext, job: Job) -> Commit:
    return await push_settings(
        ctx, force=bool(job.payload.get("force")), verify=bool(job.payload.get("verify"))
    )


async def push_settings(ctx: FlowContext, *, force: bool = False, verify: bool = False) -> Commit:
    """Read the back office's settings and write them to the channel if they changed."""
    source, target = ctx.source, ctx.channel
    if not isinstance(source, SettingsSource):
        raise PermanentError(f"{source.kind} has no store settings to read")
    if not isinstance(target, SettingsTarget):
        raise PermanentError(f"{target.kind} cannot take store settings")
    wanted = pushed_part(await source.get_settings())
    digest = wanted.content_hash()
    row = await ctx.store.fetchone(
        "SELECT hash, refused_hash FROM item_state WHERE connection = ? AND entity = 'settings'"
        " AND source_id = ?",
        (ctx.connection, ITEM),
    )
    last, refused = (None, None) if row is None else (row["hash"], row["refused_hash"])
    write = force or (digest not in (last, refused))
    if not write and verify and isinstance(target, SettingsSource):
        write = pushed_part(await target.get_settings()) != wanted
    error: str | None = None
    if write:
        try:
            await target.set_settings(wanted)
        except PermanentError as exc:
            error = f"currency {wanted.currency}: {exc.message}"
    return _record(ctx, digest, written=write and error is None, error=error)


def _record(ctx: FlowContext, digest: str, *, written: bool, error: str | None) -> Commit:
    now = ctx.now()

    def commit(conn: sqlite3.Connection) -> None:
        if error is not None:
            item_state.refused(conn, ctx.connection, ENTITY, [(ITEM, error, digest)])
            synclog.add_error(conn, ctx.connection, FLOW, ITEM, error, now)
            return
        # Settings carry no change token: theirs stays NULL.
        done = (ITEM, digest, None, now if written else None, now)
        item_state.written(conn, ctx.connection, ENTITY, [done])
        synclog.resolve(conn, ctx.connection, FLOW, [ITEM])

    return commit
