"""From a validated Config to the daemon's runtime objects: budgets, retry policy, connectors,
actor settings, and the embedded sandbox servers (started through the connector registry)."""

from __future__ import annotations

from typing import Any

import structlog
from anyio.abc import TaskGroup

from syncwright.connectors.base import Connector, EmbeddedSpec, SystemSpec
from syncwright.connectors.registry import build, embedded_server
from syncwright.daemon.actor import ActorSettings
from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.gate import BudgetGate
from syncwright.daemon.budget.windows import WindowSpec
from syncwright.daemon.clock import Clock
from syncwright.daemon.config.model import Config
from syncwright.daemon.config.sandbox import server_options
from syncwright.daemon.config.secrets import resolve_sandbox_secrets
from syncwright.daemon.config.types import CLASS_NAMES, split_listen
from syncwright.daemon.events_bus import EventHub
from syncwright.daemon.flows.context import FlowSettings
from syncwright.daemon.jobs.retry import RetryPolicy
from syncwright.daemon.ops.listen import listening
from syncwright.daemon.scheduler import ScheduleSettings
from syncwright.daemon.store.db import Store

log = structlog.get_logger("syncwright.runtime")


def _budget_shape(config: Config, name: str) -> tuple[list[WindowSpec], dict[int, float]]:
    budget = config.systems[name].budget
    windows = [
        WindowSpec(name=wname, limit=float(w.limit), mode=w.mode, timezone=w.timezone)
        for wname, w in budget.windows.items()
    ]
    reserve = {cls: budget.reserve.for_class(cls) for cls in range(len(CLASS_NAMES))}
    return windows, reserve


def build_budgets(config: Config, clock: Clock, hub: EventHub | None = None) -> dict[str, Budget]:
    budgets: dict[str, Budget] = {}
    for name in config.systems:
        windows, reserve = _budget_shape(config, name)
        budgets[name] = Budget(name, windows, reserve, clock=clock, hub=hub)
    return budgets


def update_budgets(
    budgets: dict[str, Budget], config: Config, clock: Clock, hub: EventHub | None = None
) -> list[Budget]:
    """Apply a reloaded config to the budgets in place; returns the newly created ones."""
    created: list[Budget] = []
    for name in config.systems:
        windows, reserve = _budget_shape(config, name)
        if name in budgets:
            budgets[name].reconfigure(windows, reserve)
        else:
            budgets[name] = Budget(name, windows, reserve, clock=clock, hub=hub)
            created.append(budgets[name])
    return created


def retry_policy(config: Config) -> RetryPolicy:
    retry = config.daemon.retry
    classes = range(len(CLASS_NAMES))
    return RetryPolicy(
        base=retry.base,
        cap={c: retry.cap.for_class(c) for c in classes},
        give_up={c: retry.give_up.for_class(c) for c in classes},
        max_snoozes=retry.max_snoozes,
    )


def system_spec(config: Config, name: str, secrets: dict[str, dict[str, str]]) -> SystemSpec[Any]:
    system = config.systems[name]
    values = secrets.get(name, {})
    return SystemSpec(
        name=name,
        kind=system.kind,
        url=system.url,
        settings=system.settings,
        secrets=values,
        timeout=system.timeout,
    )


async def sync_connectors(
    connectors: dict[str, Connector],
    budgets: dict[str, Budget],
    store: Store,
    config: Config,
    secrets: dict[str, dict[str, str]],
    built_from: dict[str, SystemSpec[Any]],
) -> list[str]:
    """Build a connector per system; rebuild those whose spec changed, close removed ones.
    Returns the names of systems whose connector was (re)built."""
    rebuilt: list[str] = []
    for name in list(connectors):
        spec = system_spec(config, name, secrets) if name in config.systems else None
        if spec != built_from.get(name):
            await connectors.pop(name).aclose()
            built_from.pop(name, None)
    for name in config.systems:
        if name not in connectors:
            spec = system_spec(config, name, secrets)
            connectors[name] = build(spec, BudgetGate(budgets[name], store))
            built_from[name] = spec
            rebuilt.append(name)
    return rebuilt


def actor_settings(config: Config, name: str, secrets: dict[str, dict[str, str]]) -> ActorSettings:
    conn = config.connections[name]
    return ActorSettings(
        name=name,
        source=system_spec(config, conn.source, secrets),
        channel=system_spec(config, conn.channel, secrets),
        flows=tuple(conn.flows),
        flow=FlowSettings(
            page_size=conn.page_size,
            overlap=conn.overlap,
            pull_mode=conn.pull_mode,
            only_b2b_orders=conn.orders.only_b2b,
            update_linked_customers=conn.customers.update_linked,
            channel_name=conn.channel,
            bulk_read_threshold=conn.bulk_read_threshold,
        ),
        workers=conn.workers,
        recent=conn.schedule.recent,
        schedule=ScheduleSettings(
            ghost_interval=conn.schedule.ghost_interval,
            ghost_batch=conn.schedule.ghost_batch,
            full=conn.schedule.full,
            deletions=conn.schedule.deletions,
        ),
    )


async def start_sandbox(tg: TaskGroup, config: Config) -> None:
    """Serve the sandbox ERP and shop inside the daemon's task group (the shipped demo).

    Each is the ``embedded`` hook of its kind in the connector registry: the daemon never
    imports the sandbox itself.
    """
    sb = config.sandbox
    keys = resolve_sandbox_secrets(config)
    sb.data_dir.mkdir(parents=True, exist_ok=True)
    urls: dict[str, str] = {}
    for part, kind, table in sb.parts():
        host, port = split_listen(table.listen)
        spec = EmbeddedSpec(
            name=f"sandbox.{part}",
            host=host,
            port=port,
            data_dir=sb.data_dir,
            api_key=keys.get(part),
            options=server_options(table),
        )
        urls[part] = await listening(
            f"the sandbox {part}",
            table.listen,
            f"[sandbox.{part}] listen",
            tg.start(embedded_server(kind), spec, name=spec.name),
        )
    log.info("sandbox.started", **urls, data_dir=str(sb.data_dir))
