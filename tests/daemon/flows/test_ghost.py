"""The ghost sweep against in-memory fakes: one item the source cannot read is that item's
error, one it no longer has is discontinued, and the rest of the batch is still verified
(issue 14 item 3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import anyio

from syncwright.connectors.base import Capabilities
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Product, Variant, WriteResult
from syncwright.daemon.clock import FakeClock
from syncwright.daemon.flows import HANDLERS, item_state
from syncwright.daemon.flows.context import FlowContext, FlowSettings
from syncwright.daemon.flows.ghost import ghost_spec
from syncwright.daemon.flows.links import replace_links
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.store.db import Store


def product(pid: str, title: str, status: str = "live") -> Product:
    variant = Variant(external_id=f"{pid}1", sku=f"SKU-{pid}")
    return Product(
        external_id=pid,
        title=title,
        handle=f"p{pid}",
        status=status,  # type: ignore[arg-type]
        variants=(variant,),
    )


class Source:
    kind = "fake-erp"
    capabilities = Capabilities(cursor="time")

    def __init__(self) -> None:
        self.products = {"1": product("1", "One"), "3": product("3", "Three")}

    async def aclose(self) -> None: ...

    async def get_product(self, pid: str) -> Product | None:
        if pid == "2":
            raise PermanentError("template 2 cannot be read", system="erp")
        return self.products.get(pid)


class Channel:
    kind = "fake-shop"
    capabilities = Capabilities(cursor="none")

    def __init__(self) -> None:
        self.held = {pid: product(pid, "Drifted") for pid in ("1", "2", "3", "4")}
        self.writes: list[Product] = []

    async def aclose(self) -> None: ...

    async def read_products(self, ids: Any) -> dict[str, Product]:
        return {pid: self.held[pid] for pid in ids if pid in self.held}

    async def upsert_products(self, products: Any) -> list[WriteResult]:
        for p in products:
            self.writes.append(p)
            self.held[p.external_id] = p
        return [WriteResult(external_id=p.external_id, remote_id=p.external_id) for p in products]


def test_one_unreadable_and_one_deleted_item_leave_the_batch_to_finish(tmp_path: Path) -> None:
    source, channel = Source(), Channel()

    async def main() -> list[tuple[Any, ...]]:
        store = await Store.open(tmp_path / "state.db")
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                clock = FakeClock()
                queue = Queue(store, clock)
                ctx = FlowContext("demo", FlowSettings(), source, channel, store, queue, clock)  # type: ignore[arg-type]

                def seed(conn: sqlite3.Connection) -> None:
                    ids = ["1", "2", "4", "3"]
                    replace_links(conn, "demo", "product", [(p, p) for p in ids], 0.0)
                    rows = [(p, "old", None, float(n), float(n)) for n, p in enumerate(ids)]
                    item_state.written(conn, "demo", "product", rows)

                await store.write(seed)
                await queue.enqueue("demo", ghost_spec(3, stock=False))
                (job,) = await queue.lease("demo", "test", [3], 1)
                commit = await HANDLERS["ghost"](ctx, job)
                assert commit is not None
                await store.write(commit)
                errors = await store.fetchall(
                    "SELECT flow, external_id, message FROM sync_errors ORDER BY external_id"
                )
                tg.cancel_scope.cancel()
                return [tuple(row) for row in errors]
        finally:
            await store.aclose()

    errors = anyio.run(main)
    # The three least recently verified are 1, 2 and 4: one is rewritten, one is that item's
    # error, and 4 (gone from the source) is discontinued on the channel.
    assert [(p.external_id, p.title, p.status) for p in channel.writes] == [
        ("1", "One", "live"),
        ("4", "Drifted", "discontinued"),
    ]
    assert [(flow, item) for flow, item, _ in errors] == [("products", "2")]
    assert "template 2 cannot be read" in errors[0][2]
