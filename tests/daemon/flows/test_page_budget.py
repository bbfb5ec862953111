"""A page whose writes need more calls than one budget window allows still completes, and
writes each item once: the job keeps its progress across budget waits instead of starting its
page again (one gate call per product, as BigCommerce's PUTs or SparkLayer's writes).

The jobs run on the injected fake clock, one worker run at a time until the queue is empty:
a refused job's snooze is passed by moving the clock to its run time. The fake channel counts
the writes each product received."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog

from syncwright.connectors.base import Capabilities, ChangeQuery, Page
from syncwright.connectors.errors import PermanentError, TransientError
from syncwright.connectors.model import Product, StockLevel, WriteResult
from syncwright.daemon.actor import Services
from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.gate import BudgetGate
from syncwright.daemon.budget.windows import WindowSpec
from syncwright.daemon.clock import FakeClock
from syncwright.daemon.flows.context import FlowContext, FlowSettings
from syncwright.daemon.flows.links import keep_links
from syncwright.daemon.flows.pull import pull_spec
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.jobs.retry import RetryPolicy
from syncwright.daemon.store.db import Store
from syncwright.daemon.worker import Worker

T0 = 1_767_225_600.0
ITEMS = 30
#: Writes after which the fake channel gives up for good (a page started again and again).
CEILING = 200


def products() -> list[Product]:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Product(external_id=f"p{i:03}", title=f"P {i}", handle=f"p-{i}", modified_at=when)
        for i in range(ITEMS)
    ]


class OnePageSource:
    kind = "fake-source"
    capabilities = Capabilities(cursor="time")

    async def aclose(self) -> None: ...

    async def changed_products(self, query: ChangeQuery) -> Page[Product]:
        items = products()
        last = items[-1]
        return Page(items, (last.modified_at.isoformat(), last.external_id), complete=True)  # type: ignore[union-attr]

    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]:
        items = levels()
        last = items[-1]
        return Page(items, (last.modified_at.isoformat(), last.sku), complete=True)  # type: ignore[union-attr]


def levels() -> list[StockLevel]:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        StockLevel(sku=f"s{i:03}", location="main", quantity=i, modified_at=when)
        for i in range(ITEMS)
    ]


class CountingChannel:
    """One gate call per product written; counts writes per product."""

    kind = "fake-channel"
    capabilities = Capabilities(cursor="none", product_batch_size=5, stock_batch_size=5)

    def __init__(self, gate: BudgetGate, fail_at: int | None = None) -> None:
        self.gate = gate
        self.writes: Counter[str] = Counter()
        #: The write (counted over the run) that fails once with a server error.
        self.fail_at = fail_at

    async def aclose(self) -> None: ...

    async def upsert_products(self, items: Sequence[Product]) -> list[WriteResult]:
        return [await self._write(p.external_id) for p in items]

    async def set_stock(self, items: Sequence[StockLevel]) -> list[WriteResult]:
        return [await self._write(f"{level.sku}|{level.location}") for level in items]

    async def _write(self, key: str) -> WriteResult:
        await self.gate.acquire()
        if sum(self.writes.values()) >= CEILING:
            raise PermanentError("the page was started again too often")
        if self.fail_at is not None and sum(self.writes.values()) == self.fail_at:
            self.fail_at = None
            raise TransientError("503 from the shop")
        self.writes[key] += 1
        self.gate.report(200, {})
        return WriteResult(external_id=key, remote_id=f"r-{key}")


def run_page(
    tmp_path: Path, window: WindowSpec, *, fail_at: int | None = None, flow: str = "products"
) -> tuple[Counter[str], list[Any]]:
    """Run ``flow``'s pull until no job is left; the channel's write counts and the jobs."""

    async def main() -> tuple[Counter[str], list[Any]]:
        store = await Store.open(tmp_path / "state.db")
        clock = FakeClock(T0)
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                try:
                    queue = Queue(store, clock)
                    budget = Budget("shop", (window,), clock=clock)
                    channel = CountingChannel(BudgetGate(budget, store), fail_at)
                    source = OnePageSource()
                    services = Services(store, queue, clock, RetryPolicy(), {"shop": budget}, {})
                    ctx = FlowContext("c", FlowSettings(), source, channel, store, queue, clock)  # type: ignore[arg-type]

                    async def paused(reason: str) -> None:
                        raise AssertionError(reason)

                    worker = Worker("c", services, structlog.get_logger(), on_auth_failed=paused)
                    if flow == "stock":  # every SKU's product is on the channel already
                        linked = {lvl.sku: f"v-{lvl.sku}" for lvl in levels()}
                        await store.write(lambda conn: keep_links(conn, "c", "variant", linked, T0))
                    await queue.enqueue("c", pull_spec(flow))
                    for _ in range(100):
                        (job,) = await queue.lease("c", "t", range(5), 1) or (None,)
                        if job is not None:
                            await worker.run(job, ctx)
                            continue
                        row = await store.fetchone(
                            "SELECT MIN(run_at) AS due FROM jobs WHERE state = 'pending'"
                        )
                        if row is None or row["due"] is None:
                            break
                        clock.set(max(clock.now(), float(row["due"])))
                    jobs = [dict(r) for r in await store.fetchall("SELECT * FROM jobs")]
                    return channel.writes, jobs
                finally:
                    store.stop_writes()
        finally:
            await store.aclose()

    return anyio.run(main)


def assert_each_written_once(writes: Counter[str], jobs: list[Any]) -> None:
    assert [j["state"] for j in jobs] == ["done"], jobs
    assert sorted(writes) == [p.external_id for p in products()]
    again = {pid: n for pid, n in writes.items() if n != 1}
    assert not again, f"written more than once: {again}"


@pytest.mark.parametrize(
    "window",
    # 12 calls a minute, 10 of them open to a recent pull: three windows for 30 products;
    # a BigCommerce-like 30 s window, as tight.
    [WindowSpec("minute", 12, "rolling", "UTC"), WindowSpec("30s", 12)],
    ids=["minute", "30s"],
)
def test_a_page_longer_than_a_short_window_completes_writing_each_item_once(
    tmp_path: Path, window: WindowSpec
) -> None:
    writes, jobs = run_page(tmp_path, window)
    assert_each_written_once(writes, jobs)


def test_a_page_refused_for_an_hour_keeps_what_it_wrote(tmp_path: Path) -> None:
    # Beyond a short wait the job is refused and runs again later: the batches it finished
    # were recorded, so the retry writes only the rest.
    writes, jobs = run_page(tmp_path, WindowSpec("hour", 24, "rolling", "UTC"))
    assert_each_written_once(writes, jobs)


def test_a_server_error_mid_page_keeps_the_batches_written_before_it(tmp_path: Path) -> None:
    # Four batches of five go out at a time: the 23rd write fails after the first four
    # batches finished. Only what the failed batch and the one beside it wrote goes again.
    writes, jobs = run_page(tmp_path, WindowSpec("minute", 1000, "rolling", "UTC"), fail_at=22)
    assert [j["state"] for j in jobs] == ["done"], jobs
    assert sorted(writes) == [p.external_id for p in products()]
    again = sum(writes.values()) - ITEMS
    assert again <= 2 * CountingChannel.capabilities.product_batch_size, writes


def test_a_stock_page_refused_for_an_hour_keeps_the_levels_it_wrote(tmp_path: Path) -> None:
    writes, jobs = run_page(tmp_path, WindowSpec("hour", 24, "rolling", "UTC"), flow="stock")
    assert [j["state"] for j in jobs] == ["done"], jobs
    assert sorted(writes) == [f"{lvl.sku}|main" for lvl in levels()]
    assert set(writes.values()) == {1}, writes
