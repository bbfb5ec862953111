"""Flows: what each kind of job does. ``HANDLERS`` maps a job kind to its handler;
``FAILURE_HOOKS`` maps a job kind to the writes its failure makes with the queue's own."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from syncwright.daemon.flows import customers as _customers  # noqa: F401  (registers PULLS["customers"])
from syncwright.daemon.flows import purchases as _purchases  # noqa: F401  (PULLS["purchases"])
from syncwright.daemon.flows.audit import audit_gone
from syncwright.daemon.flows.context import Commit, FlowContext, FlowSettings, Handler
from syncwright.daemon.flows.deletions import check as check_deletions
from syncwright.daemon.flows.events import handle_event
from syncwright.daemon.flows.full import full_slice
from syncwright.daemon.flows.ghost import sweep
from syncwright.daemon.flows.manual import sync_item
from syncwright.daemon.flows.orders import post_failed, post_order
from syncwright.daemon.flows.prices import ensure_price_list
from syncwright.daemon.flows.pull import PULLS, pull_page, pull_spec, stock_waiting
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


#: Job kinds whose write group is the flow named in their payload.
_FLOW_KINDS = ("pull", "full", "audit_gone")
#: Job kinds that read and write one item's product and stock.
_ITEM_KINDS = ("sync_item", "event", "ghost")


def _groups(kind: str, payload: Mapping[str, Any]) -> tuple[str, ...]:
    if kind in _FLOW_KINDS:
        return (str(payload.get("flow", "")),)
    if kind == "deletions":
        return ("products",)
    if kind == "stock_waiting":
        return ("stock",)
    if kind in _ITEM_KINDS:
        return ("products", "stock")
    return ()


def write_groups(job: Job) -> tuple[str, ...]:
    """The flows whose channel state ``job`` reads and writes, in lock order. Jobs sharing a
    group run one at a time per connection (parked stock never overwrites a newer pull)."""
    return _groups(job.kind, job.payload)


def claims(kind: str, payload: Mapping[str, Any]) -> tuple[str, ...]:
    """What a job holds while it runs: its write groups, or for an order's job the order
    (flows/orders.py runs one job per order at a time). The actor never leases a job whose
    claims a running job holds: it would wait on a lock in a worker slot."""
    if kind == "post_order":
        return (f"order:{payload.get('order')}",)
    return _groups(kind, payload)


def claimed_sql(busy: Collection[str]) -> tuple[str, tuple[str, ...]]:
    """An SQL condition over ``jobs`` true for exactly the jobs whose :func:`claims` meet
    ``busy`` (tests/daemon/flows/test_claims.py holds the two to each other)."""
    flows = sorted(g for g in busy if not g.startswith("order:"))
    orders = sorted(g.removeprefix("order:") for g in busy if g.startswith("order:"))
    parts: list[str] = []
    params: list[str] = []
    if flows:
        marks = ",".join("?" * len(flows))
        parts.append(
            f"(kind IN {_in(_FLOW_KINDS)} AND json_extract(payload, '$.flow') IN ({marks}))"
        )
        params += flows
    if "products" in flows:
        parts.append("kind = 'deletions'")
    if "stock" in flows:
        parts.append("kind = 'stock_waiting'")
    if {"products", "stock"} & set(flows):
        parts.append(f"kind IN {_in(_ITEM_KINDS)}")
    if orders:
        marks = ",".join("?" * len(orders))
        parts.append(f"(kind = 'post_order' AND json_extract(payload, '$.order') IN ({marks}))")
        params += orders
    return ("(" + " OR ".join(parts) + ")" if parts else "0"), tuple(params)


def channel_only_sql() -> str:
    """An SQL condition over ``jobs`` true for the jobs that call the channel alone: the pulls
    of flows read from the channel (new orders). Such a job is admitted on the channel's
    budget only, so order intake never waits for the back office's share."""
    flows = sorted(name for name, flow in PULLS.items() if flow.reads == "channel")
    if not flows:
        return "0"
    return f"(kind = 'pull' AND json_extract(payload, '$.flow') IN {_in(flows)})"


def _in(words: Sequence[str]) -> str:
    """A literal SQL list of fixed identifiers (never of outside data)."""
    return "(" + ",".join(f"'{w}'" for w in words) + ")"


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
    "channel_only_sql",
    "claimed_sql",
    "claims",
    "died_orphaned",
    "pull_spec",
    "write_groups",
]
