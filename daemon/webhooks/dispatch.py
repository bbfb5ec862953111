"""Stored webhook events -> jobs, after the delivery has been answered.

The dispatcher wakes when the receiver stores an event (and every ``retry_every`` seconds),
reads the events not yet processed, turns each into notices (connectors/webhooks.py), and
queues, in the same write as marking the event processed, one job per notice for every
connection that uses the system:

    from the channel (e.g. Shopify):
      product notice  -> class-2 ``sync_item`` job (products): compare the channel's copy with
                         the back office and rewrite it when it drifted
      stock notice    -> class-2 ``sync_item`` job (stock), the same for one SKU's levels
      order notice    -> the ``post_order`` job (class 0, as for pulled orders)
      customer notice -> no job: customers flow from the back office to the channel
    from the back office: product, stock, customer -> class-2 ``event`` jobs

Jobs never trust the notice: they read the item now, so a duplicate or a late notice costs
reads and no write, and no change token crosses clocks. An echo of our own write queues no job
at all: a stock notice with the quantity we last pushed (stock_state), a product notice whose
content digest equals that of our last write of the product (the connector's ``echoes``). Two
notices of one item while its check is still pending make one job (the dedup key). An inventory
notice names Shopify's item; the connector resolves its SKU first (one small call). If that
fails the event stays pending with its error and is tried again; a payload that cannot be read
is marked processed with its error (it will never become readable) and logged.
``syncwright replay-events`` marks events pending again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import anyio
import structlog

from syncwright.connectors.base import Connector
from syncwright.connectors.errors import ConnectorError
from syncwright.connectors.registry import webhook_format
from syncwright.connectors.webhooks import Notice
from syncwright.daemon.clock import Clock
from syncwright.daemon.config.connections import ConnectionConfig
from syncwright.daemon.config.model import Config
from syncwright.daemon.flows.events import event_spec
from syncwright.daemon.flows.manual import sync_item_spec
from syncwright.daemon.flows.orders import post_order_spec
from syncwright.daemon.jobs.job import JobSpec
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.store.db import Store
from syncwright.daemon.webhooks import inbox

log = structlog.get_logger("syncwright.webhooks")

BATCH = 200
PRUNE_EVERY = 3600.0


class EventDispatcher:
    def __init__(
        self,
        store: Store,
        queue: Queue,
        clock: Clock,
        config: Callable[[], Config],
        connectors: Mapping[str, Connector],
    ) -> None:
        self.store = store
        self.queue = queue
        self.clock = clock
        self.config = config
        self.connectors = connectors
        self._wake = anyio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        pruned_at = 0.0
        while True:
            try:
                await self.process_pending()
                if self.clock.now() - pruned_at > PRUNE_EVERY:
                    pruned_at = self.clock.now()
                    await self.prune()
            except Exception:  # a bug here must not stop the receiver or the daemon
                log.exception("webhook.dispatch_failed")
            with anyio.move_on_after(self.config().webhooks.retry_every):
                await self._wake.wait()
            self._wake = anyio.Event()

    async def prune(self) -> int:
        """Delete processed events older than ``[webhooks] keep_days``."""
        before = self.clock.now() - self.config().webhooks.keep_days * 86400.0
        deleted = await self.store.write(lambda conn: inbox.prune(conn, before))
        if deleted:
            log.info("webhook.pruned", deleted=deleted)
        return deleted

    async def process_pending(self) -> int:
        """Turn pending events into jobs; returns how many events were settled."""
        rows = await self.store.fetchall(
            "SELECT id, system, topic, body FROM events WHERE processed_at IS NULL"
            " ORDER BY id LIMIT ?",
            (BATCH,),
        )
        settled = 0
        for row in rows:
            settled += await self._one(row["id"], row["system"], row["topic"], bytes(row["body"]))
        return settled

    async def _one(self, event_id: int, system: str, topic: str, body: bytes) -> int:
        cfg = self.config()
        kind = cfg.systems[system].kind if system in cfg.systems else None
        fmt = webhook_format(kind) if kind else None
        if fmt is None:
            await self._mark(event_id, [], f"system {system!r} is not configured for webhooks")
            return 1
        try:
            notices = fmt.notices(topic, json.loads(body))
        except ValueError as exc:
            log.error(
                "webhook.unreadable", system=system, topic=topic, event_id=event_id, error=str(exc)
            )
            await self._mark(event_id, [], f"unreadable payload: {exc}")
            return 1
        try:
            resolved = [await self._resolve(system, n) for n in notices]
        except ConnectorError as exc:
            log.warning("webhook.resolve_failed", system=system, event_id=event_id, error=str(exc))
            why = str(exc)[:500]
            await self.store.write(lambda conn: inbox.note_error(conn, event_id, why))
            return 0
        jobs: list[tuple[str, JobSpec]] = []
        for name, conn_cfg in cfg.connections.items():
            if system not in (conn_cfg.source, conn_cfg.channel):
                continue
            for notice in resolved:
                if notice is None:
                    continue
                if system == conn_cfg.channel and await self._echo(name, system, notice):
                    continue  # Shopify tells us what we wrote: nothing to repair
                jobs += [(name, spec) for spec in _specs(notice, system, conn_cfg)]
        await self._mark(event_id, jobs, None)
        for name in {name for name, _ in jobs}:
            self.queue.notify(name)
        log.info(
            "webhook.dispatched", system=system, topic=topic, event_id=event_id, jobs=len(jobs)
        )
        return 1

    async def _resolve(self, system: str, notice: Notice) -> Notice | None:
        if notice.entity != "inventory_item":
            return notice
        connector: Any = self.connectors.get(system)
        finder = getattr(connector, "sku_of_inventory_item", None)
        if finder is None:
            return None
        sku = await finder(notice.id)
        if sku is None:
            return None
        where = getattr(connector, "source_location", None)
        location = await where(notice.location) if where and notice.location else None
        return Notice("stock", sku, notice.token, location=location, quantity=notice.quantity)

    async def _echo(self, connection: str, system: str, notice: Notice) -> bool:
        """True when a stock notice reports the quantity we last pushed there ourselves, or a
        product notice the content of our last write of that product (the channel's connector
        keeps its digest: ``echoes.is_echo``); a later edit there differs, so it is checked."""
        if notice.entity == "product":
            echoes: Any = getattr(self.connectors.get(system), "echoes", None)
            return echoes is not None and bool(echoes.is_echo(notice))
        if notice.entity != "stock" or notice.location is None or notice.quantity is None:
            return False
        row = await self.store.fetchone(
            "SELECT quantity FROM stock_state WHERE connection = ? AND sku = ? AND location = ?",
            (connection, notice.id, notice.location),
        )
        return row is not None and row["quantity"] == notice.quantity

    async def _mark(
        self, event_id: int, jobs: list[tuple[str, JobSpec]], error: str | None
    ) -> None:
        now = self.clock.now()

        def write(conn: sqlite3.Connection) -> None:
            for name, spec in jobs:
                self.queue.enqueue_in(conn, name, spec)
            inbox.settle(conn, event_id, now, error)

        await self.store.write(write)


def _specs(notice: Notice, system: str, conn: ConnectionConfig) -> list[JobSpec]:
    flows = conn.flows
    if system == conn.channel:
        # Something changed on the channel: compare it with the back office and repair what
        # differs (an echo of our own write finds nothing to do).
        if notice.entity == "product" and "products" in flows:
            return [_class2(sync_item_spec("products", notice.id, stock=False), notice)]
        if notice.entity == "stock" and "stock" in flows:
            return [_class2(sync_item_spec("stock", notice.id), notice)]
        if notice.entity == "order" and "orders" in flows:
            return [post_order_spec(notice.id)]
        return []
    # The back office announces a change: fetch it and write what changed.
    if notice.entity in ("product", "stock", "customer"):
        flow = {"product": "products", "stock": "stock", "customer": "customers"}[notice.entity]
        if flow in flows:
            return [event_spec(notice.entity, notice.id)]
    return []


def _class2(spec: JobSpec, notice: Notice) -> JobSpec:
    return replace(spec, cls=2, dedup_key=f"webhook:{notice.entity}:{notice.id}")
