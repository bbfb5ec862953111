"""The actor's dispatcher: one slot kept for class 0, no job taken that cannot spend on the
systems it calls, and none taken that would wait for a lock a running job holds.

The actor runs on the injected fake clock, and a test that checks what did *not* start waits
for the dispatcher to settle (:meth:`Actor.settled`), never for a stretch of time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from harness import async_wait_until

from syncwright.connectors.base import Capabilities, KindSettings, SystemSpec
from syncwright.daemon import flows
from syncwright.daemon.actor import PROMOTE_AFTER, Actor, ActorSettings, Services
from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.windows import WindowSpec
from syncwright.daemon.clock import FakeClock
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
            clock = FakeClock()
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
                mp.setitem(flows.HANDLERS, "pull", blocking)
                ended = anyio.Event()

                async def run_actor() -> None:
                    try:
                        await actor.run()
                    finally:
                        ended.set()

                tg.start_soon(run_actor)
                with anyio.fail_after(20):
                    await body(actor, queue, started, release)
                release.set()
                actor.stop()
                # Until run() has returned, not merely until no job runs: the dispatcher may
                # still be leasing, and the store stops next.
                with anyio.fail_after(20):
                    await ended.wait()
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
        await actor.settled()
        assert len(actor.running) == 2 and len(started) == 2, (
            "lower classes may fill only workers - 1 slots"
        )
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
        await actor.settled()
        assert started == [] and not actor.running
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
        await actor.settled()  # the second stock writer may be leased, waiting for the first
        names = sorted(name for _, name in started)
        assert names == ["other", "parked1"], "two stock writers must not overlap"
        release.set()
        await started_count(started, 3)

    run_with_actor(tmp_path, body, workers=4)


def test_a_job_that_would_wait_for_a_running_jobs_lock_is_not_leased(tmp_path: Path) -> None:
    # Two slots for classes 1-4: the second stock writer would wait for the first's lock in
    # the second slot, and the job behind it would get none.
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
        await actor.settled()
        assert sorted(name for _, name in started) == ["other", "parked1"]
        # Leased in (class, run_at, id) order: "other" was taken past "parked2".
        [waiting] = await queue.jobs("c", state="pending")
        assert waiting.payload["name"] == "parked2" and waiting.attempts == 0
        release.set()
        await started_count(started, 3)

    run_with_actor(tmp_path, body, workers=3)


def test_a_second_job_for_one_order_waits_in_the_queue_not_in_a_slot(tmp_path: Path) -> None:
    async def body(
        actor: Actor, queue: Queue, started: list[tuple[int, str]], release: anyio.Event
    ) -> None:
        with pytest.MonkeyPatch.context() as mp:
            mp.setitem(flows.HANDLERS, "post_order", flows.HANDLERS["block"])
            await actor.enqueue(
                [
                    JobSpec("post_order", 0, {"order": "o1", "name": "first"}),
                    JobSpec("post_order", 0, {"order": "o1", "name": "twin"}),
                    JobSpec("post_order", 0, {"order": "o2", "name": "other"}),
                ]
            )
            await started_count(started, 2)
            await actor.settled()
            assert sorted(name for _, name in started) == ["first", "other"]
            [waiting] = await queue.jobs("c", state="pending")
            assert waiting.payload["name"] == "twin" and waiting.attempts == 0
            release.set()
            await started_count(started, 3)

    run_with_actor(tmp_path, body, workers=3)


def test_order_intake_is_admitted_on_the_channels_budget_alone(tmp_path: Path) -> None:
    # The back office's day is spent to the last call: nothing that calls it may start, but
    # pulling new orders calls the shop alone.
    windows = (WindowSpec("day", 10, "calendar", "UTC"),)

    async def body(
        actor: Actor, queue: Queue, started: list[tuple[int, str]], release: anyio.Event
    ) -> None:
        await actor.enqueue(
            [
                JobSpec("block", 0, {"name": "sale"}),
                JobSpec("pull", 2, {"flow": "products", "name": "products"}),
                flows.pull_spec("orders"),
            ]
        )
        await started_count(started, 1)
        await actor.settled()
        assert started == [(0, "None")]  # the orders pull (its payload has no name)
        waiting = await queue.jobs("c", state="pending")
        assert sorted(j.kind for j in waiting) == ["block", "pull"]
        assert all(j.attempts == 0 for j in waiting)

    run_with_actor(tmp_path, body, source_windows=windows, spend_first=10)


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
        # On the fake clock the wait may already have passed and come again: every one of the
        # job's events is a wait.
        mine = [e for e in seen if e.job == job.job_id]
        assert all(e.event == "job.waiting" for e in mine), mine
        event = mine[0]
        assert event.event == "job.waiting" and event.action == "wait", event
        assert "minute window" in (event.detail or "") and event.until is not None
        assert "not a failure" in (event.detail or "")
        assert actor.statistics().jobs_failed == 0 and actor.statistics().last_error is None

    run_with_actor(tmp_path, body, source_windows=(WindowSpec("minute", 20, "rolling", "UTC"),))


def test_a_lower_class_waiting_too_long_is_promoted_once(tmp_path: Path) -> None:
    # One slot for classes 1-4, kept busy by a pull that queues the next (as the 2 s pulls
    # do): a class-4 full-sync slice ready for longer than PROMOTE_AFTER takes the next turn,
    # once; then class order again.
    async def body(
        actor: Actor, queue: Queue, started: list[tuple[int, str]], release: anyio.Event
    ) -> None:
        clock = actor.services.clock

        async def chained(ctx: Any, job: Any) -> None:
            n = int(job.payload["n"])
            started.append((job.cls, f"pull{n}"))
            specs = [JobSpec("chain", 2, {"n": n + 1})] if n < 19 else []
            if n == 4:  # a slice that has waited (its run_at long past) joins the queue
                specs.append(JobSpec("quick", 4, {}, run_at=clock.now() - PROMOTE_AFTER - 1))
            await actor.enqueue(specs)

        async def quick(ctx: Any, job: Any) -> None:
            started.append((job.cls, "full"))

        with pytest.MonkeyPatch.context() as mp:
            mp.setitem(flows.HANDLERS, "chain", chained)
            mp.setitem(flows.HANDLERS, "quick", quick)
            await actor.enqueue([JobSpec("chain", 2, {"n": 0})])
            await started_count(started, 21)
        order = [name for _, name in started]
        assert order.index("full") == 5, f"the full-sync slice starved: {order}"
        assert order[6:] == [f"pull{n}" for n in range(5, 20)]

    run_with_actor(tmp_path, body, workers=2)
