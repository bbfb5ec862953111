"""The persistent queue on a real state file: order, dedup, leases, failures, recovery, pruning."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
import pytest

from syncwright.daemon.clock import FakeClock
from syncwright.daemon.jobs.job import Job, JobSpec, LeaseLost
from syncwright.daemon.jobs.queue import Queue, explain_lease
from syncwright.daemon.jobs.retry import RetryDecision
from syncwright.daemon.store.db import Store

T0 = 1_767_225_600.0
ALL = range(5)


@dataclass
class Env:
    store: Store
    clock: FakeClock
    queue: Queue


def run(
    tmp_path: Path, body: Callable[[Env], Awaitable[None]], clock: FakeClock | None = None
) -> None:
    """Open the state file in tmp_path, run the writer and ``body``, close. Leases left open by
    ``body`` stay in the file, as after a crash."""

    async def main() -> None:
        store = await Store.open(tmp_path / "state.db")
        fake = clock or FakeClock(T0)
        env = Env(store, fake, Queue(store, fake, lease_seconds=60.0, max_orphaned=3))
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                try:
                    await body(env)
                finally:
                    store.stop_writes()
        finally:
            await store.aclose()

    anyio.run(main)


async def get(env: Env, job_id: int) -> Job:
    job = await env.queue.get(job_id)
    assert job is not None
    return job


async def lease_one(env: Env, classes: Any = ALL) -> Job:
    (job,) = await env.queue.lease("shop", "w1", classes, 1)
    return job


def test_lease_takes_class_order_then_oldest_first(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q = env.queue
        ids = {}
        for name, cls, run_at in [
            ("full", 4, T0 - 50),
            ("ghost", 3, T0 - 40),
            ("recent_new", 2, T0),
            ("recent_old", 2, T0 - 30),
            ("sale", 0, T0),
            ("tie", 2, T0),
        ]:
            ids[name] = (await q.enqueue("shop", JobSpec("k", cls, run_at=run_at))).job_id
        first = await q.lease("shop", "w1", ALL, 2)
        rest = await q.lease("shop", "w1", ALL, 10)
        order = [j.id for j in first + rest]
        names = ["sale", "recent_old", "recent_new", "tie", "ghost", "full"]
        assert order == [ids[n] for n in names]
        assert await q.lease("shop", "w1", ALL, 10) == []

    run(tmp_path, body)


def test_lease_counts_the_attempt_and_sets_the_lease(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        await env.queue.enqueue("shop", JobSpec("push", 2, {"sku": "A"}))
        job = await lease_one(env)
        assert (job.state, job.attempts) == ("leased", 1)
        assert job.lease_owner is not None and job.lease_owner.startswith("w1/")
        assert job.lease_expires_at == T0 + 60.0
        assert job.payload == {"sku": "A"}
        assert await env.queue.lease("other", "w1", ALL, 5) == []  # per connection

    run(tmp_path, body)


def test_future_run_at_is_not_leased_until_due(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q = env.queue
        await q.enqueue("shop", JobSpec("k", 0, run_at=T0 + 60))
        assert await q.lease("shop", "w1", ALL, 5) == []
        assert await q.next_run_at("shop", ALL) == T0 + 60
        env.clock.advance(60)
        assert len(await q.lease("shop", "w1", ALL, 5)) == 1
        assert await q.next_run_at("shop", ALL) is None

    run(tmp_path, body)


def test_lease_only_takes_the_classes_asked_for(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q = env.queue
        await q.enqueue("shop", JobSpec("sale", 0))
        low = (await q.enqueue("shop", JobSpec("sweep", 3, run_at=T0 - 5))).job_id
        await q.enqueue("shop", JobSpec("later", 4, run_at=T0 + 99))
        assert [j.id for j in await q.lease("shop", "w1", [3, 4], 5)] == [low]
        assert await q.next_run_at("shop", [3, 4]) == T0 + 99
        assert await q.next_run_at("shop", [0]) == T0
        assert await q.next_run_at("shop", []) is None
        assert [j.kind for j in await q.lease("shop", "w1", [0], 5)] == ["sale"]

    run(tmp_path, body)


def test_lease_is_an_index_search_without_a_sort(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        for classes in ([0], [1, 2, 3, 4], [0, 2, 4]):
            plan = await env.store.write(lambda conn, c=classes: explain_lease(conn, c))
            assert any("jobs_ready" in step for step in plan), plan
            assert not any("TEMP B-TREE" in step for step in plan), plan

    run(tmp_path, body)


def test_dedup_merges_into_the_pending_job(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q = env.queue
        first = await q.enqueue("shop", JobSpec("push", 3, {"v": 1}, "item:A", run_at=T0 + 100))
        second = await q.enqueue("shop", JobSpec("push", 1, {"v": 2}, "item:A", run_at=T0 + 50))
        third = await q.enqueue("shop", JobSpec("push", 4, {"v": 3}, "item:A", run_at=T0 + 500))
        assert not first.merged and second.merged and third.merged
        assert first.job_id == second.job_id == third.job_id
        job = await get(env, first.job_id)
        assert (job.cls, job.run_at, job.payload) == (1, T0 + 50, {"v": 1})
        elsewhere = await q.enqueue("other", JobSpec("push", 3, {}, "item:A"))
        plain = await q.enqueue("shop", JobSpec("push", 3, {}))
        assert not elsewhere.merged and not plain.merged
        assert len({first.job_id, elsewhere.job_id, plain.job_id}) == 3

    run(tmp_path, body)


def test_a_leased_job_does_not_absorb_a_new_enqueue(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q = env.queue
        old = (await q.enqueue("shop", JobSpec("push", 2, {}, "item:A"))).job_id
        running = await lease_one(env)
        new = await q.enqueue("shop", JobSpec("push", 2, {}, "item:A"))
        assert not new.merged and new.job_id != old
        await q.complete(running)
        assert (await get(env, old)).state == "done"
        assert (await get(env, new.job_id)).state == "pending"

    run(tmp_path, body)


def test_a_failed_job_hands_its_work_to_a_pending_twin(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q = env.queue
        await q.enqueue("shop", JobSpec("push", 0, {}, "item:A"))
        running = await lease_one(env)
        twin = (await q.enqueue("shop", JobSpec("push", 3, {}, "item:A", run_at=T0 + 9))).job_id
        assert await q.fail(running, RetryDecision("retry", T0 + 30, "r"), "transient", "boom")
        closed, kept = await get(env, running.id), await get(env, twin)
        assert closed.state == "done" and closed.errors[-1]["kind"] == "superseded"
        assert (kept.state, kept.cls, kept.run_at) == ("pending", 0, T0 + 9)

    run(tmp_path, body)


def test_a_failed_job_hands_its_saved_progress_to_its_twin(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q = env.queue
        await q.enqueue("shop", JobSpec("slice", 4, {}, "full:products"))
        running = await lease_one(env)
        await q.save_progress(running, {"after": "p-0420"})
        twin = (await q.enqueue("shop", JobSpec("slice", 1, {}, "full:products"))).job_id
        assert await q.fail(running, RetryDecision("retry", T0 + 30, "r"), "transient", "boom")
        assert (await get(env, running.id)).state == "done"
        kept = await get(env, twin)
        assert (kept.state, kept.progress) == ("pending", {"after": "p-0420"})
        # An orphan of a crash folds the same way.
        again = await lease_one(env)
        assert again.id == twin
        await q.save_progress(again, {"after": "p-0600"})
        third = (await q.enqueue("shop", JobSpec("slice", 4, {}, "full:products"))).job_id
        await q.recover_orphans()
        assert (await get(env, third)).progress == {"after": "p-0600"}

    run(tmp_path, body)


def test_a_lease_belongs_to_its_run_not_to_the_job_id(tmp_path: Path) -> None:
    """A run whose lease ran out cannot touch the job once it is leased again, even by the
    same owner at the same attempt count."""

    async def body(env: Env) -> None:
        q = env.queue
        await q.enqueue("shop", JobSpec("push", 2, {}, "item:A"))
        first = await lease_one(env)  # attempt 1; this run hangs
        env.clock.advance(61)
        assert await q.reap_expired() == 1
        second = await lease_one(env)  # attempt 2, dies for good
        assert await q.fail(second, RetryDecision("dead", None, "x"), "permanent", "bad")
        assert await q.retry_dead("shop") == 1  # the operator retries: attempts back to 0
        third = await lease_one(env)
        assert (third.id, third.attempts) == (first.id, first.attempts)
        assert third.lease_owner != first.lease_owner
        # The first run wakes up: it can neither renew, save, finish nor fail the third's job.
        assert await q.renew([first]) == 0
        with pytest.raises(LeaseLost):
            await q.save_progress(first, {"page": 2})
        with pytest.raises(LeaseLost):
            await q.complete(first)
        assert not await q.fail(first, RetryDecision("dead", None, "x"), "permanent", "late")
        assert await q.renew([third]) == 1
        await q.complete(third)
        assert (await get(env, third.id)).state == "done"

    run(tmp_path, body)


def test_expired_leases_are_reaped_and_renewal_keeps_them(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q = env.queue
        await q.enqueue("shop", JobSpec("slow", 4))
        job = await lease_one(env)
        env.clock.advance(30)
        assert await q.renew([job]) == 1
        assert await q.renew([replace(job, lease_owner="someone-else")]) == 0
        env.clock.advance(50)  # 80 s after the lease, 50 after the renewal
        assert await q.reap_expired("shop") == 0
        env.clock.advance(11)
        assert await q.reap_expired("other") == 0
        assert await q.reap_expired() == 1
        back = await get(env, job.id)
        assert (back.state, back.attempts, back.orphaned, back.lease_owner) == (
            "pending",
            1,
            1,
            None,
        )
        assert "lease ran out" in (back.last_error or "")
        # The run that lost its lease can no longer finish or fail the job.
        with pytest.raises(LeaseLost):
            await q.complete(job)
        with pytest.raises(LeaseLost):
            await q.save_progress(job, {"page": 2})
        assert not await q.fail(job, RetryDecision("dead", None, "x"), "permanent", "x")
        again = await lease_one(env)
        assert again.attempts == 2
        await q.complete(again, progress={"page": 9})
        assert (await get(env, job.id)).progress == {"page": 9}

    run(tmp_path, body)


def test_orphans_are_recovered_at_start_up_and_poison_pills_go_dead(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    ids: list[int] = []

    async def enqueue_and_crash(env: Env) -> None:
        ids.append((await env.queue.enqueue("shop", JobSpec("pill", 0, {}, "order:7"))).job_id)
        await env.queue.enqueue("shop", JobSpec("fine", 4))
        await lease_one(env, [0])  # and the daemon dies while running it

    async def restart(env: Env) -> None:
        report = await env.queue.recover_orphans()
        job = await get(env, ids[0])
        if job.orphaned < 3:
            assert report.requeued == (ids[0],) and report.dead == ()
            assert (job.state, job.attempts) == ("pending", job.orphaned)
            assert "the daemon stopped" in (job.last_error or "")
            assert (await lease_one(env, [0])).id == ids[0]  # dies again
        else:
            assert report.dead == (ids[0],) and report.requeued == ()
            assert job.state == "dead" and job.finished_at == T0
            assert job.last_error == "poison pill: the daemon died 3 times while running this job"
            assert [e["kind"] for e in job.errors] == ["orphaned"] * 3
            counts = await env.queue.counts("shop")
            assert counts.count("ready", 4) == 1 and counts.count("dead") == 1

    run(tmp_path, enqueue_and_crash, clock)
    for _ in range(3):
        run(tmp_path, restart, clock)


def test_fail_applies_each_action(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q, clock = env.queue, env.clock
        await q.enqueue("shop", JobSpec("push", 2, {}, "item:A"))

        # A rate limit gives the attempt back and does not start the give-up clock.
        job = await lease_one(env)
        assert await q.fail(job, RetryDecision("snooze", T0 + 30, "429"), "rate_limited", "slow")
        job = await get(env, job.id)
        assert (job.attempts, job.snoozes, job.run_at, job.first_failed_at) == (0, 1, T0 + 30, None)
        assert job.view(clock.now()) == "scheduled"

        clock.advance(30)
        job = await lease_one(env)
        assert job.attempts == 1
        assert await q.fail(job, RetryDecision("retry", T0 + 60, "backing off"), "transient", "502")
        job = await get(env, job.id)
        assert (job.state, job.run_at, job.attempts) == ("pending", T0 + 60, 1)
        assert job.first_failed_at == T0 + 30
        assert job.view(clock.now()) == "retrying" and job.last_error == "502"
        assert job.errors[-1] == {
            "at": T0 + 30,
            "attempt": 1,
            "kind": "transient",
            "message": "502",
            "action": "retry",
            "reason": "backing off",
        }

        clock.advance(30)
        assert job.view(clock.now()) == "ready"
        job = await lease_one(env)
        assert job.attempts == 2
        assert await q.fail(job, RetryDecision("pause", clock.now(), "auth"), "auth", "401")
        job = await get(env, job.id)
        assert (job.state, job.attempts, job.run_at) == ("pending", 1, T0 + 60)

        job = await lease_one(env)
        clock.advance(5)
        message = "x" * 20_000
        assert await q.fail(job, RetryDecision("dead", None, "permanent"), "permanent", message)
        job = await get(env, job.id)
        assert (job.state, job.finished_at, job.first_failed_at) == ("dead", T0 + 65, T0 + 30)
        assert len(job.last_error or "") == 10_000 and len(job.errors[-1]["message"]) == 10_000
        assert [e["action"] for e in job.errors] == ["snooze", "retry", "pause", "dead"]
        assert await q.lease("shop", "w1", ALL, 5) == []

    run(tmp_path, body)


def test_retry_dead_resets_attempts_and_keeps_history(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q = env.queue
        for kind in ("push", "push", "post"):
            await q.enqueue("shop", JobSpec(kind, 1))
        await q.enqueue("other", JobSpec("push", 1))
        for _ in range(3):
            job = await lease_one(env)
            await q.fail(job, RetryDecision("retry", T0, "r"), "transient", "first")
            job = await lease_one(env)
            await q.fail(job, RetryDecision("dead", None, "gave up"), "transient", "second")
        other = (await q.lease("other", "w", ALL, 1))[0]
        await q.fail(other, RetryDecision("dead", None, "gave up"), "transient", "x")

        dead = await q.jobs("shop", state="dead")
        assert len(dead) == 3
        env.clock.advance(100)
        assert await q.retry_dead("shop", dead[0].id) == 1
        one = await get(env, dead[0].id)
        assert (one.state, one.attempts, one.snoozes, one.first_failed_at) == (
            "pending",
            0,
            0,
            None,
        )
        assert (one.run_at, one.finished_at, one.view(env.clock.now())) == (T0 + 100, None, "ready")
        assert [e["message"] for e in one.errors] == ["first", "second"]

        assert await q.retry_dead("shop", kind="post") + await q.retry_dead("shop") == 2
        assert await q.jobs("shop", state="dead") == []
        assert len(await q.jobs("other", state="dead")) == 1

    run(tmp_path, body)


def test_prune_removes_old_finished_jobs_only(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q, clock = env.queue, env.clock
        await q.enqueue_many("shop", [JobSpec("k", 2) for _ in range(6)])
        for _ in range(5):  # done at T0, T0+10, ... T0+40
            await q.complete(await lease_one(env))
            clock.advance(10)
        await q.fail(await lease_one(env), RetryDecision("dead", None, "x"), "permanent", "x")
        await q.enqueue("shop", JobSpec("still-pending", 2, run_at=T0 - 1000))

        assert await q.prune(done_before=T0 + 25, dead_before=T0, batch=2) == 3
        left = await q.jobs("shop")
        assert sorted(j.state for j in left) == ["dead", "done", "done", "pending"]
        assert await q.prune(done_before=T0 + 1000, dead_before=T0 + 1000) == 3
        assert [j.kind for j in await q.jobs("shop")] == ["still-pending"]

    run(tmp_path, body)


def test_counts_per_class_and_view(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q, clock = env.queue, env.clock
        await q.enqueue("shop", JobSpec("ready", 0, run_at=T0 - 20))
        await q.enqueue("shop", JobSpec("ready", 0, run_at=T0 - 5))
        await q.enqueue("shop", JobSpec("ready", 3))
        await q.enqueue("shop", JobSpec("scheduled", 2, run_at=T0 + 600))
        await q.enqueue_many("shop", [JobSpec("leased", 1), JobSpec("x", 1), JobSpec("y", 1)])
        a, b, c = await q.lease("shop", "w1", [1], 3)
        await q.fail(a, RetryDecision("retry", T0 + 60, "r"), "transient", "e")
        await q.fail(b, RetryDecision("dead", None, "d"), "permanent", "e")
        await q.complete(c)
        await q.enqueue("other", JobSpec("elsewhere", 0))
        clock.advance(10)

        counts = await q.counts("shop")
        assert dict(counts.counts) == {
            (0, "ready"): 2,
            (3, "ready"): 1,
            (2, "scheduled"): 1,
            (1, "retrying"): 1,
            (1, "dead"): 1,
            (1, "done"): 1,
        }
        assert counts.count("ready") == 3 and counts.count("leased") == 0
        assert counts.oldest_ready_age == {0: 30.0, 3: 10.0}
        assert counts.latency == 30.0
        assert [j.kind for j in await q.jobs("shop", state="retrying")] == ["leased"]
        assert [j.kind for j in await q.jobs("shop", state="ready")] == ["ready"] * 3
        with pytest.raises(ValueError, match="unknown job state"):
            await q.jobs("shop", state="sleeping")

    run(tmp_path, body)


def test_enqueue_in_and_complete_in_share_the_callers_transaction(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q, store = env.queue, env.store

        def enqueue_then_fail(conn: sqlite3.Connection) -> None:
            q.enqueue_in(conn, "shop", JobSpec("next-page", 2))
            raise RuntimeError("the flow broke after queueing")

        with pytest.raises(RuntimeError):
            await store.write(enqueue_then_fail)
        assert await q.jobs("shop") == []

        def commit_page(conn: sqlite3.Connection, job: Job) -> None:
            conn.execute(
                "INSERT INTO cursors (connection, flow, value, updated_at)"
                " VALUES ('shop', 'p', ?, 0)"
                " ON CONFLICT (connection, flow) DO UPDATE SET value = excluded.value",
                (f"after-{job.id}",),
            )
            q.enqueue_in(conn, "shop", JobSpec("page", 2, {"page": job.payload["page"] + 1}))
            q.complete_in(conn, job)

        await q.enqueue("shop", JobSpec("page", 2, {"page": 1}))
        first = await lease_one(env)
        await store.write(lambda conn: commit_page(conn, first))
        assert (await get(env, first.id)).state == "done"
        (second,) = await q.jobs("shop", state="pending")
        assert second.payload == {"page": 2}

        # A run that lost its lease cannot move the cursor: complete_in rolls the write back.
        lost = await lease_one(env)
        env.clock.advance(61)
        assert await q.reap_expired() == 1
        with pytest.raises(LeaseLost):
            await store.write(lambda conn: commit_page(conn, lost))
        assert [j.id for j in await q.jobs("shop", state="pending")] == [second.id]
        row = await store.fetchone("SELECT value FROM cursors WHERE connection = 'shop'")
        assert row is not None and row[0] == f"after-{first.id}"

    run(tmp_path, body)


def test_enqueue_many_dedups_and_signals_waiters(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q = env.queue
        event = q.signal("shop")
        specs = [JobSpec("push", 3, {"i": i}, f"item:{i % 1000}") for i in range(2500)]
        results = await q.enqueue_many("shop", specs, chunk=700)
        assert event.is_set() and not q.signal("shop").is_set()
        assert sum(not r.merged for r in results) == 1000
        assert results[1000] == type(results[0])(results[0].job_id, merged=True)
        assert (await q.counts("shop")).count("ready", 3) == 1000
        assert await q.forget("shop") == 1000
        assert await q.jobs("shop") == []

    run(tmp_path, body)


def test_bad_specs_fail_their_caller(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        with pytest.raises(ValueError, match="class must be 0"):
            await env.queue.enqueue("shop", JobSpec("k", 7))
        with pytest.raises(TypeError):
            await env.queue.enqueue("shop", JobSpec("k", 1, {"when": object()}))
        assert await env.queue.jobs("shop") == []

    run(tmp_path, body)
