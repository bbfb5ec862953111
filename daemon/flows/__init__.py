"""Flows: what each kind of job does. ``HANDLERS`` maps a job kind to its handler;
``FAILURE_HOOKS`` maps a job kind to the writes its failure makes with the queue's own."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from syncwright.daemon.flows import customers as _customers  # noqa: F401  (registers PULLS["customers"])
from syncwright.daemon.flows.audit import audit_gone
from syncwright.daemon.flows.context import Commit, FlowContext, FlowSettings, Handler
from syncwright.daemon.flows.deletions import check as check_deletions
from syncwright.daemon.flows.events import handle_event
from syncwright.daemon.flows.full import full_slice
from syncwright.daemon.flows.ghost import sweep
from syncwright.daemon.flows.manual import sync_item
from syncwright.daemon.flows.orders import post_failed, post_order
from syncwright.daemon.flows.prices import ensure_price_list
from syncwright.daemon.flows.pull import pull_page, pull_spec, stock_waiting
from syncwright.daemon.flows.settings import connect, sync_settings
from syncwright.daemon.jobs.job import Job
from syncwright.daemon.jobs.retry import RetryDecision

HANDLERS: dict[str, Handler] = {
    "pull": pull_page,
    "stock_waiting": stock_waiting,
    "post_order": post_order,
    "connect": connect,
    "settings_sync": sync_settings,
    "price_list": ensure_price_list,
    "event": handle_event,
    "full": full_slice,
    "ghost": sweep,
    "sync_item": sync_item,
    "audit_gone": audit_gone,
    "deletions": check_deletions,
}


def write_groups(job: Job) -> tuple[str, ...]:
    """The flows whose channel state ``job`` reads and writes, in lock order. Jobs sharing a
    group run one at a time per connection (parked stock never overwrites a newer pull)."""
    if job.kind in ("pull", "full", "audit_gone"):
        return (str(job.payload.get("flow", "")),)
    if job.kind == "deletions":
        return ("products",)
    if job.kind == "stock_waiting":
        return ("stock",)
    if job.kind in ("sync_item", "event", "ghost"):
        return ("products", "stock")
    return ()


#: (job, decision, error kind, message, now) -> writes for the same transaction, or None.
FailureHook = Callable[[Job, RetryDecision, str, str, float], Commit | None]
FAILURE_HOOKS: dict[str, FailureHook] = {"post_order": post_failed}


def died_orphaned(conn: sqlite3.Connection, job: Job, message: str, now: float) -> None:
    """The queue's ``on_dead`` hook: a poison pill (a job the daemon died running too often)
    makes the same writes as a job that died of a failed run, so a dead order job leaves its
    sync-log error and notification however it died."""
    hook = FAILURE_HOOKS.get(job.kind)
    commit = (
        hook(job, RetryDecision("dead", None, message), "orphaned", message, now) if hook else None
    )
    if commit is not None:
        commit(conn)


__all__ = [
    "FAILURE_HOOKS",
    "HANDLERS",
    "FailureHook",
    "FlowContext",
    "FlowSettings",
    "Handler",
    "died_orphaned",
    "pull_spec",
    "write_groups",
]
