"""The operations tasks the supervisor starts beside the actors: the Prometheus endpoint, the
budget planner's history recorder, the backlog watcher (``backlog.progress`` events), and the
planner's fit check at start-up and after reloads.

Kept out of daemon/supervisor.py so it starts them with one call (:func:`start`) and checks the
plan after a reload with another (:func:`check_plan`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
import structlog
from anyio.abc import TaskGroup, TaskStatus

from syncwright.daemon.budget.budget import BudgetStats
from syncwright.daemon.ops.planner_history import HistoryRecorder, live_report, warn_if_unfit
from syncwright.daemon.ops.work import BacklogWatcher
from syncwright.daemon.synclog_mirror import Mirror, Target

if TYPE_CHECKING:
    from syncwright.daemon.ops.metrics import Sources
    from syncwright.daemon.supervisor import Supervisor

log = structlog.get_logger("syncwright.ops")


async def start(supervisor: Supervisor, tg: TaskGroup) -> None:
    svc = supervisor.services
    assert svc is not None
    supervisor.metrics_at_start = supervisor.config.metrics
    if supervisor.config.metrics.enabled:
        host, port = supervisor.config.metrics.address()
        await tg.start(serve_metrics, _sources(supervisor), host, port, name="metrics")
    recorder = HistoryRecorder(svc.budgets, svc.store, supervisor.clock)
    await tg.start(recorder.run, name="planner.history")
    await tg.start(_backlog_watcher(supervisor).run, name="backlog.watcher")
    await tg.start(_synclog_mirror(supervisor).run, name="synclog.mirror")
    await check_plan(supervisor, "start-up")


@dataclass(slots=True)
class Notices:
    """What the daemon must tell its operator beyond the log (status and the TUI show it)."""

    #: When the last config reload was refused and why; None once a reload succeeds.
    reload_rejected: tuple[float, str] | None = None
    #: The budget planner's warnings at start-up or the last reload: schedules that do not fit.
    plan_warnings: tuple[str, ...] = ()


async def check_plan(supervisor: Supervisor, when: str) -> None:
    """Log a warning for each way the schedules or the current pace do not fit the budgets."""
    svc = supervisor.services
    assert svc is not None
    first = supervisor.metrics_at_start
    if when == "reload" and first is not None and first != supervisor.config.metrics:
        log.warning(
            "metrics.restart_needed",
            hint="[metrics] changed; it applies at the next restart (systemctl restart)",
        )
    try:
        report = await live_report(supervisor.config, svc.budgets, svc.store, supervisor.clock)
    except Exception:  # the planner advises; it must never stop the daemon
        log.exception("planner.failed", when=when)
        return
    warn_if_unfit(report, when)
    supervisor.notices.plan_warnings = report.warnings


def _backlog_watcher(supervisor: Supervisor) -> BacklogWatcher:
    svc = supervisor.services
    assert svc is not None

    def systems() -> dict[str, tuple[str, str]]:
        return {n: (c.source, c.channel) for n, c in supervisor.config.connections.items()}

    def budgets() -> dict[str, BudgetStats]:
        return {name: b.statistics() for name, b in svc.budgets.items()}

    return BacklogWatcher(supervisor.hub, svc.store.fetchall, supervisor.clock, systems, budgets)


def _sources(supervisor: Supervisor) -> Sources:
    from syncwright.daemon.ops.metrics import ActorView, Sources

    def actors() -> list[ActorView]:
        return [
            ActorView(
                name,
                stats.state,
                len(stats.running),
                slot.restarts,
                stats.jobs_done,
                stats.jobs_failed,
                tuple(slot.actor.settings.flows),
                (slot.actor.settings.source.name, slot.actor.settings.channel.name),
                slot.actor.settings.flow.page_size,
            )
            for name, slot in list(supervisor.slots.items())
            for stats in [slot.actor.statistics()]
        ]

    def budgets() -> dict[str, object]:
        svc = supervisor.services
        return dict(svc.budgets) if svc is not None else {}

    return Sources(
        state_file=lambda: supervisor.config.daemon.state_file,
        actors=actors,
        budgets=budgets,  # type: ignore[arg-type]
        now=supervisor.clock.now,
        timings=lambda: supervisor.services.timings.snapshot() if supervisor.services else [],
    )


async def serve_metrics(
    sources: Sources,
    host: str,
    port: int,
    *,
    task_status: TaskStatus[str | None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve /metrics until cancelled. A port that cannot be bound is logged, not fatal."""
    from syncwright.daemon.ops.metrics import MetricsServer

    try:
        server = await anyio.to_thread.run_sync(MetricsServer, sources, host, port)
    except OSError as exc:
        log.error(
            "metrics.failed",
            listen=f"{host}:{port}",
            error=str(exc),
            hint="choose a free port in [metrics] listen; the daemon runs on without metrics",
        )
        task_status.started(None)
        return
    log.info("metrics.listening", url=server.url)
    task_status.started(server.url)
    try:
        await anyio.sleep_forever()
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(server.close)


def _synclog_mirror(supervisor: Supervisor) -> Mirror:
    """Our sync log mirrored to the channels that show it (daemon/synclog_mirror.py); the
    targets are read from the config in force at each round, so reloads apply."""
    svc = supervisor.services
    assert svc is not None

    def targets() -> list[Target]:
        return [
            Target(name, conn.channel, tuple(conn.flows))
            for name, conn in supervisor.config.connections.items()
        ]

    return Mirror(svc.store, supervisor.clock, targets, svc.connectors)
