"""The actor's dispatcher: one slot kept for class 0, and no job taken that cannot spend."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from harness import async_wait_until

from syncwright.connectors.base import Capabilities, KindSettings, SystemSpec
from syncwright.daemon import flows
from syncwright.daemon.actor import Actor, ActorSettings, Services
from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.windows import WindowSpec
from syncwright.daemon.clock import SystemClock
from syncwright.daemon.flows.context import FlowSettings
from syncwright.daemon.jobs.job import JobSpec
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.jobs.retry import RetryPolicy
from syncwright.daemon.store.db import Store


class FakeSource:
    kind = "fake-source"
    capabilities = Capabilities(cursor="time")

    async def aclose(self) -> None: ...
    async def changed_products(self, query: Any) -> Any: ...
    async def changed_stock(self, query: Any) -> Any: ...
    async def list_products(self, query: Any) -> Any: ...
    async def list_stock(self, query: Any) -> Any: ...
    async def get_product(self, id_or_sku: str) -> Any: ...
    async def get_stock(self, skus: Any) -> Any: ...


class FakeChannel:
    kind = "fake-channel"
    capabilities = Capabilities(cursor="none")

    async def aclose(self) -> None: ...
    async def upsert_products(self, products: Any) -> Any: ...
    async def set_stock(self, levels: Any) -> Any: ...
    async def read_products(self, ids: Any) -> Any: ...
    async def read_stock(self, skus: Any) -> Any: ...


def run_with_actor(
    tmp_path: Path,
    body: Callable[[Actor, Queue, list[tuple[int, str]], anyio.Event], Awaitable[None]],
    *,
    workers: int = 3,
    source_windows: tuple[WindowSpec, ...] = (),
    spend_first: int = 0,
) -> None:
    """Run ``body`` with an actor whose 'block' jobs wait until the given event is set."""

    async def main() -> None:
        store = await Store.open(tmp_path / "state.db")
        started: list[tuple[int, str]] = []
        release = anyio.Event()

        async def blocking(ctx: Any, job: Any) -> None:
            started.append((job.cls, str(job.payload.get("name"))))
            await release.wait()

        async with anyio.create_task_group() as tg:
            await tg.start(store.serve)
            clock = SystemClock()
            queue = Queue(store, clock)
            source_budget = Budget("erp", source_windows, clock=clock)
            for _ in range(spend_first):
                assert source_budget.try_spend(0)
            budgets = {"erp": source_budget, "shop": Budget("shop", (), clock=clock)}
            services = Services(
                store,
                queue,
                clock,
                RetryPolicy(),
                budgets,
                {"erp": FakeSource(), "shop": FakeChannel()},
            )  # type: ignore[dict-item]
            settings = ActorSettings(
                name="c",
                source=SystemSpec("erp", "fake", "http://erp.test", KindSettings()),
                channel=SystemSpec("shop", "fake", "http://shop.test", KindSettings()),
                flows=(),
                flow=FlowSettings(),
                workers=workers,
                recent=3600,
            )
            actor = Actor(settings, services)
            with pytest.MonkeyPatch.context() as mp:
                mp.setitem(flows.HANDLERS, "block", blocking)
                mp.setitem(flows.HANDLERS, "stock_waiting", blocking)
                tg.start_soon(actor.run)
                with anyio.fail_after(20):
                    await body(actor, queue, started, release)
                release.set()
                actor.stop()
                await async_wait_until(
                    lambda: not actor.running,
                    timeout=20,
                    interval=0.01,
                    message="the actor did not stop",
                )
            store.stop_writes()
        await store.aclose()

    anyio.run(main)


async def started_count(started: list[tuple[int, str]], count: int) -> None:
    """Until ``count`` jobs have started (the body's 20 s limit bounds it too)."""
    await async_wait_until(
        lambda: len(started) == count,
        timeout=20,
        interval=0.01,
        message=lambda: f"waiting for {count} started jobs, have {started}",
    )


def test_one_slot_is_always_kept_for_class_zero(tmp_path: Path) -> None:
    async def body(
        actor: Actor, queue: Queue, started: list[tuple[int, str]], release: anyio.Event
    ) -> None:
        await actor.enqueue([JobSpec("block", 3, {"name": f"sweep{i}"}) for i in range(5)])
        await started_count(started, 2)
        await anyio.sleep(0.3)
        assert len(started) == 2, "lower classes may fill only workers - 1 slots"
        await actor.enqueue([JobSpec("block", 0, {"name": "sale"})])
        await started_count(started, 3)
        assert started[-1] == (0, "sale")

    run_with_actor(tmp_path, body, workers=3)


def test_a_class_that_cannot_spend_is_not_leased(tmp_path: Path) -> None:
    # 10 calls a day, 8 already spent: class 3 must leave 30 % (3 calls), class 0 nothing.
    windows = (WindowSpec("day", 10, "calendar", "UTC"),)

    async def body(
        actor: Actor, queue: Queue, started: list[tuple[int, str]], release: anyio.Event
    ) -> None:
        await actor.enqueue([JobSpec("block", 3, {"name": "sweep"})])
        await anyio.sleep(0.3)
        assert started == []
        [waiting] = await queue.jobs("c", state="pending")
        assert waiting.attempts == 0, "the job must not have been taken and put back"
        await actor.enqueue([JobSpec("block", 0, {"name": "sale"})])
        await started_count(started, 1)
        assert started == [(0, "sale")]

    run_with_actor(tmp_path, body, source_windows=windows, spend_first=8)


def test_jobs_writing_the_same_flow_run_one_at_a_time(tmp_path: Path) -> None:
    async def body(
        actor: Actor, queue: Queue, started: list[tuple[int, str]], release: anyio.Event
    ) -> None:
        await actor.enqueue(
            [
                JobSpec("stock_waiting", 2, {"name": "parked1"}),
                JobSpec("stock_waiting", 2, {"name": "parked2"}),
                JobSpec("block", 2, {"name": "other"}),
            ]
        )
        await started_count(started, 2)
        await anyio.sleep(0.3)
        names = sorted(name for _, name in started)
        assert names == ["other", "parked1"], "two stock writers must not overlap"
        release.set()
        await started_count(started, 3)

    run_with_actor(tmp_path, body, workers=4)


def test_a_budget_wait_is_a_wait_not_a_failure(tmp_path: Path) -> None:
    # The job's own calls find the minute window at its reserve: it waits, and every place
    # an operator looks says so (an event naming the window and when it frees), not failed.
    from syncwright.daemon.budget.gate import BudgetGate

    gates: list[BudgetGate] = []

    async def spends(ctx: Any, job: Any) -> None:
        # Leased while the class could spend; others spent meanwhile. Class 2 may spend while
        # 15 % of 20 (3 calls) remain: 17 spent leaves it none.
        while gates[0].budget.try_spend(0) and gates[0].budget.can_spend(2):
            pass
        await gates[0].acquire()

    async def body(
        actor: Actor, queue: Queue, started: list[tuple[int, str]], release: anyio.Event
    ) -> None:
        budget = actor.services.budgets["erp"]
        gates.append(BudgetGate(budget, actor.services.store, max_wait=0.0))
        events = actor.services.hub.subscribe()
        with pytest.MonkeyPatch.context() as mp:
            mp.setitem(flows.HANDLERS, "spends", spends)
            (job,) = await queue.enqueue_many("c", [JobSpec("spends", 2, {"name": "pull"})])
            actor.wake()
            seen: list[Any] = []
            await async_wait_until(
                lambda: seen.extend(events.drain()) or any(e.job == job.job_id for e in seen),
                timeout=20,
                interval=0.01,
                message=lambda: f"no event for the job: {seen}",
            )
        (event,) = [e for e in seen if e.job == job.job_id]
        assert event.event == "job.waiting" and event.action == "wait", event
        assert "minute window" in (event.detail or "") and event.until is not None
        assert "not a failure" in (event.detail or "")
        assert actor.statistics().jobs_failed == 0 and actor.statistics().last_error is None

    run_with_actor(tmp_path, body, source_windows=(WindowSpec("minute", 20, "rolling", "UTC"),))
