"""From a validated Config to the daemon's runtime objects: budgets, retry policy, actor
settings, and the embedded sandbox servers."""

from __future__ import annotations

import structlog
from anyio.abc import TaskGroup

from syncwright.connectors.base import Connector, SystemSpec
from syncwright.connectors.registry import build
from syncwright.daemon.actor import ActorSettings
from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.budget.gate import BudgetGate
from syncwright.daemon.budget.windows import WindowSpec
from syncwright.daemon.clock import Clock
from syncwright.daemon.config.model import Config
from syncwright.daemon.config.secrets import resolve_sandbox_secrets
from syncwright.daemon.config.types import CLASS_NAMES, split_listen
from syncwright.daemon.events_bus import EventHub
from syncwright.daemon.flows.context import FlowSettings
from syncwright.daemon.jobs.retry import RetryPolicy
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


def system_spec(config: Config, name: str, secrets: dict[str, dict[str, str]]) -> SystemSpec:
    system = config.systems[name]
    values = secrets.get(name, {})
    return SystemSpec(
        name=name, kind=system.kind, settings=system.connector_settings(), secrets=values
    )


async def sync_connectors(
    connectors: dict[str, Connector],
    budgets: dict[str, Budget],
    store: Store,
    config: Config,
    secrets: dict[str, dict[str, str]],
    built_from: dict[str, SystemSpec],
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
            channel_name=conn.channel,
            bulk_read_threshold=conn.bulk_read_threshold,
        ),
        workers=conn.workers,
        recent=conn.schedule.recent,
        schedule=ScheduleSettings(
            ghost_interval=conn.schedule.ghost_interval,
            ghost_batch=conn.schedule.ghost_batch,
            full=conn.schedule.full,
        ),
    )


async def start_sandbox(tg: TaskGroup, config: Config) -> None:
    """Serve the sandbox ERP and shop inside the daemon's task group (the shipped demo)."""
    from syncwright.connectors.sandbox.erp.app import serve_erp
    from syncwright.connectors.sandbox.settings import DEMO_KEY, ErpSettings, ShopSettings
    from syncwright.connectors.sandbox.shop.app import serve_shop

    sb = config.sandbox
    keys = resolve_sandbox_secrets(config)
    sb.data_dir.mkdir(parents=True, exist_ok=True)
    host, port = split_listen(sb.erp.listen)
    erp = ErpSettings(
        db_path=sb.data_dir / "erp.db",
        host=host,
        port=port,
        api_key=keys.get("erp") or DEMO_KEY,
        products=sb.erp.products,
        variants_per_product=sb.erp.variants_per_product,
        warehouses=tuple(sb.erp.warehouses),
        customers=sb.erp.customers,
        change_rate=sb.erp.change_rate,
        rate_limit_per_minute=sb.erp.rate_limit_per_minute,
    )
    host, port = split_listen(sb.shop.listen)
    shop = ShopSettings(
        db_path=sb.data_dir / "shop.db",
        host=host,
        port=port,
        api_key=keys.get("shop") or DEMO_KEY,
        locations=tuple(sb.shop.locations),
        rate_limit_per_minute=sb.shop.rate_limit_per_minute,
        order_rate=sb.shop.order_rate,
    )
    erp_url = await tg.start(serve_erp, erp, name="sandbox.erp")
    shop_url = await tg.start(serve_shop, shop, name="sandbox.shop")
    log.info("sandbox.started", erp=erp_url, shop=shop_url, data_dir=str(sb.data_dir))
