"""The human summary of a config that ``syncwright check-config`` prints. Never a secret."""

from __future__ import annotations

from syncwright.connectors.registry import KINDS, ROLE_NAMES, ROLES
from syncwright.daemon.budget.windows import window_seconds
from syncwright.daemon.config.connections import ConnectionConfig
from syncwright.daemon.config.errors import show_value
from syncwright.daemon.config.model import Config
from syncwright.daemon.config.systems import Budget, SystemBase
from syncwright.daemon.config.types import CLASS_NAMES, fmt

#: Catalogue size used to make the ghost rotation rate concrete.
_EXAMPLE_ITEMS = 10_000


def summarize(config: Config) -> str:
    """What ``syncwright check-config`` prints: systems, budgets, connections; no secrets."""
    lines: list[str] = []
    if config.source is not None:
        lines.append(f"Config: {config.source}")
    daemon = config.daemon
    lines.append(
        f"Daemon: state file {daemon.state_file}; control socket {config.control_socket_path()}"
        f"{' (group ' + config.control.group + ')' if config.control.group else ''}; "
        f"log {daemon.log_level} ({daemon.log_format})"
    )
    lines.append(_sandbox(config))
    lines.append("")
    lines.append(f"Systems ({len(config.systems)}):")
    for name, system in config.systems.items():
        users = [c for c, conn in config.connections.items() if name in (conn.source, conn.channel)]
        lines += _system(name, system, users, _roles(config, name))
    if not config.systems:
        lines.append("  (none)")
    lines.append("")
    lines.append(f"Connections ({len(config.connections)}):")
    for name, conn in config.connections.items():
        lines += _connection(name, conn)
    if not config.connections:
        lines.append("  (none: the daemon will start and stay idle)")
    return "\n".join(lines)


def _sandbox(config: Config) -> str:
    sandbox = config.sandbox
    if not sandbox.enabled:
        return "Sandbox: off"
    erp, shop = sandbox.erp, sandbox.shop
    return (
        f"Sandbox: on (data in {sandbox.data_dir}); ERP on {erp.listen} with {erp.products} "
        f"products x {erp.variants_per_product} variants in {', '.join(erp.warehouses)}, "
        f"{erp.customers} customers, {erp.change_rate:g} changes/s; shop on {shop.listen}, "
        f"{shop.order_rate:g} orders/s"
    )


def _roles(config: Config, name: str) -> str:
    """The roles the connections give the system; unused, those its kind can serve."""
    taken = config.roles_of(name)
    if taken:
        return ", ".join(ROLE_NAMES[role] for role in taken)
    serves = KINDS[config.systems[name].kind].roles
    return " or ".join(ROLE_NAMES[role] for role in ROLES if role in serves)


def _system(name: str, system: SystemBase, users: list[str], roles: str) -> list[str]:
    lines = [f"  {name}: {system.kind} ({roles}) at {system.url}, timeout {fmt(system.timeout)}"]
    refs = [f"{key} from {ref.describe()}" for key, ref in system.credentials.items()]
    lines.append(f"    credentials: {', '.join(refs) or 'none'}")
    lines += _budget(system.budget)
    settings = system.settings.model_dump()
    if settings:
        lines.append(
            "    settings: " + ", ".join(f"{k} = {show_value(v)}" for k, v in settings.items())
        )
    lines.append(f"    used by: {', '.join(users) or 'no connection'}")
    return lines


def _budget(budget: Budget) -> list[str]:
    windows = []
    ordered = sorted(budget.windows.items(), key=lambda item: window_seconds(item[0]))
    for window_name, window in ordered:
        text = f"{window.limit:,} per {window_name} ({window.mode}"
        text += f", {window.timezone})" if window.mode == "calendar" else ")"
        windows.append(text)
    lines = [f"    budget: {'; '.join(windows) or 'no limits configured'}"]
    reserves = ", ".join(f"{c} {budget.reserve.for_class(c):.0%}" for c in CLASS_NAMES)
    lines.append(f"    reserves: {reserves}")
    return lines


def _connection(name: str, conn: ConnectionConfig) -> list[str]:
    schedule = conn.schedule
    per_day = schedule.ghost_batch * 86400 / schedule.ghost_interval
    cycle_days = _EXAMPLE_ITEMS / per_day
    return [
        f"  {name}: {conn.source} -> {conn.channel}",
        f"    flows: {', '.join(conn.flows)}; pull mode {conn.pull_mode}; page size "
        f"{conn.page_size}; overlap {fmt(conn.overlap)}; workers {conn.workers}",
        f"    schedule: recent changes every {fmt(schedule.recent)}; ghost sweep of "
        f"{schedule.ghost_batch} items every {fmt(schedule.ghost_interval)}; full sync "
        + (f"every {fmt(schedule.full)}" if schedule.full is not None else "off"),
        f"    ghost rotation: {per_day:,.0f} items re-verified a day, so a catalogue of "
        f"{_EXAMPLE_ITEMS:,} items is fully re-verified every {cycle_days:,.1f} days",
    ]
