"""Running one leased job to its outcome: the handler, the commit, or the retry policy.

The handler does the remote work and returns its commit; the commit and the job's completion
are written in one transaction, so "applied" and "done" never disagree after a crash. Jobs
writing the same flow run one at a time, from the read to the commit, so an older read is
never written after a newer one. A failure is classified and goes through the pure retry
policy; the outcome is recorded on the job, published on the daemon's hub and logged, and an
authentication failure pauses the connection. Which jobs run, and when, is the actor's
business (daemon/actor.py); this module only runs them.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import anyio

from syncwright.connectors.errors import PermanentError
from syncwright.daemon.budget.gate import current_class, land_unanswered, run_spent
from syncwright.daemon.clock import iso
from syncwright.daemon.events_bus import Event
from syncwright.daemon.flows import FAILURE_HOOKS, HANDLERS, write_groups
from syncwright.daemon.flows.context import FlowContext
from syncwright.daemon.jobs.job import Job, LeaseLost
from syncwright.daemon.jobs.retry import ErrorKind, RetryDecision, classify, decide

if TYPE_CHECKING:
    from syncwright.daemon.actor import Services


class Worker:
    """Runs the jobs of one connection and counts their outcomes."""

    def __init__(
        self,
        connection: str,
        services: Services,
        log: Any,
        *,
        on_auth_failed: Callable[[str], Awaitable[None]],
    ) -> None:
        self.connection = connection
        self.services = services
        self.log = log
        #: Pauses the connection, with the reason an operator reads.
        self.on_auth_failed = on_auth_failed
        self.jobs_done = 0
        self.jobs_failed = 0
        self.last_error: str | None = None
        self._locks: dict[str, anyio.Lock] = {}

    async def run(self, job: Job, ctx: FlowContext) -> None:
        """Run ``job`` to its outcome. Raises only cancellation (the job is put back first)."""
        svc = self.services
        token = current_class.set(job.cls)
        spent = run_spent.set([0])  # a run that has spent waits longer for its budget
        jlog = self.log.bind(job=job.id, kind=job.kind, cls=job.cls, flow=job.payload.get("flow"))
        started = svc.clock.now()
        try:
            handler = HANDLERS.get(job.kind)
            if handler is None:
                raise PermanentError(f"unknown job kind {job.kind!r}")
            async with contextlib.AsyncExitStack() as held:
                for group in write_groups(job):
                    await held.enter_async_context(self._locks.setdefault(group, anyio.Lock()))
                commit = await handler(ctx, job)

                def finish(conn: sqlite3.Connection) -> None:
                    if commit is not None:
                        commit(conn)
                    svc.queue.complete_in(conn, job)

                await svc.store.write(finish)
            self.jobs_done += 1
            jlog.debug("job.done", seconds=round(svc.clock.now() - started, 3))
            if svc.hub.active:
                svc.hub.publish(job_event("job.done", job, self.connection, svc.clock.now()))
        except LeaseLost:
            # Someone else holds the job now (our lease ran out); its effects were rolled back.
            jlog.warning("job.lease_lost")
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await svc.queue.fail(
                    job,
                    RetryDecision("pause", svc.clock.now(), "interrupted by shutdown"),
                    "interrupted",
                    "the daemon stopped while this job ran; it will run again",
                )
            raise
        except Exception as exc:  # every failure goes through the retry policy
            await self._failed(job, exc, jlog)
        finally:
            land_unanswered()  # a call that raised never reported its answer
            svc.timings.observe(self.connection, job.cls, job.kind, svc.clock.now() - started)
            run_spent.reset(spent)
            current_class.reset(token)

    async def _failed(self, job: Job, exc: Exception, jlog: Any) -> None:
        svc = self.services
        kind = classify(exc)
        retry_after = getattr(exc, "retry_after", None)
        local = bool(getattr(exc, "local", False))
        decision = decide(kind, job, svc.clock.now(), svc.policy, svc.rng, retry_after, local=local)
        message = str(exc) or type(exc).__name__
        hook = FAILURE_HOOKS.get(job.kind)  # e.g. a dead order job writes its notification
        also = hook(job, decision, kind.value, message, svc.clock.now()) if hook else None
        if not await svc.queue.fail(job, decision, kind.value, message, also=also):
            jlog.warning("job.lease_lost", error=str(exc))
            return
        # A wait for a budget (ours, or the server's Retry-After) is not a failure: it is
        # published and logged as job.waiting, naming what it waits for and until when.
        waiting = kind is ErrorKind.RATE_LIMITED and decision.action == "snooze"
        if not waiting:
            self.jobs_failed += 1
            self.last_error = f"{job.kind}: {exc}"
        if svc.hub.active:
            # action says what happens next: retry, wait, pause, or dead (no more runs).
            name = "job.waiting" if waiting else "job.failed"
            event = job_event(name, job, self.connection, svc.clock.now())
            action = "wait" if waiting else decision.action
            svc.hub.publish(
                replace(event, until=decision.run_at, action=action, detail=message[:500])
            )
        fields = {
            "error": str(exc),
            "error_kind": kind.value,
            "action": decision.action,
            "next_run": iso(decision.run_at),
            "reason": decision.reason,
        }
        if kind is ErrorKind.CRASH:
            jlog.exception("job.crashed", **fields)
        elif waiting:
            jlog.info("job.waiting", **fields)
        elif kind is ErrorKind.RATE_LIMITED:
            jlog.warning("job.rate_limited", **fields)
        else:
            jlog.warning("job.failed", **fields)
        if kind is ErrorKind.AUTH:
            await self.on_auth_failed(
                f"authentication failed: {exc}. Fix the credentials, then resume the connection"
            )


def job_event(name: str, job: Job, connection: str, now: float) -> Event:
    flow = job.payload.get("flow")
    return Event(
        name,
        now,
        connection=connection,
        job=job.id,
        kind=job.kind,
        cls=job.cls,
        flow=flow if isinstance(flow, str) else None,
    )
