"""The daemon's process shape: one task group owning the store, budgets, sandbox and actors.

Start-up order: state file (migrated), orphaned leases recovered, budgets loaded, sandbox
servers (when configured), then one actor per connection. A crashed actor restarts alone with
capped exponential backoff. SIGTERM/SIGINT stop gracefully: actors take no new jobs, running
jobs get the grace period, then are cancelled (their leases make that lossless). SIGHUP
reloads config.toml; an invalid file is rejected and the old config stays in force.

Everything a daemon keeps in memory belongs to its supervisor, never to a module: the event
hub, the log redactor and, through :class:`Services`, what the flows remember between jobs
and the job timings; two supervisors in one process share none of it.
"""

from __future__ import annotations

import random
import signal
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import structlog
from anyio.abc import TaskGroup

from syncwright.connectors.base import SystemSpec
from syncwright.daemon import runtime
from syncwright.daemon.actor import Actor, ActorSettings, Services
from syncwright.daemon.cli.version import package_version
from syncwright.daemon.clock import Clock, SystemClock
from syncwright.daemon.config.errors import ConfigError
from syncwright.daemon.config.load import load_config
from syncwright.daemon.config.metrics import MetricsConfig
from syncwright.daemon.config.model import Config
from syncwright.daemon.config.secrets import resolve_secrets
from syncwright.daemon.config.startup import check_startup
from syncwright.daemon.control.server import ControlServer
from syncwright.daemon.events_bus import EventHub
from syncwright.daemon.flows import died_orphaned
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.logs.structured import Redactor
from syncwright.daemon.notify.task import DigestTask
from syncwright.daemon.ops import tasks as ops_tasks
from syncwright.daemon.sdnotify import SdNotify, status_line
from syncwright.daemon.store import lock as state_lock
from syncwright.daemon.store.db import Store, StoreFailed

log = structlog.get_logger("syncwright.supervisor")

RESTART_CAP = 300.0
MAINTENANCE_EVERY = 60.0


@dataclass(slots=True)
class ActorSlot:
    actor: Actor
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    restarts: int = 0
    stopping: anyio.Event = field(default_factory=anyio.Event)
    finished: anyio.Event = field(default_factory=anyio.Event)
    last_crash: str | None = None


class Supervisor:
    def __init__(
        self,
        config: Config,
        config_path: Path,
        *,
        clock: Clock | None = None,
        burst: bool = False,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.clock = clock or SystemClock()
        self.burst = burst
        self.on_ready = on_ready
        self.slots: dict[str, ActorSlot] = {}
        self.services: Services | None = None
        self._stop = anyio.Event()
        self._tg: TaskGroup | None = None
        self.secrets: dict[str, dict[str, str]] = {}
        self._built_from: dict[str, SystemSpec[Any]] = {}
        self.sd = SdNotify()  # systemd notifications; no-ops without NOTIFY_SOCKET
        self.digest: DigestTask | None = None
        #: The daemon's detailed events, for control-socket subscribers.
        self.hub = EventHub()
        #: The secret values this daemon read; its log lines never show them.
        self.redactor = Redactor()
        #: The [metrics] settings in force since start-up (they apply at start-up only).
        self.metrics_at_start: MetricsConfig | None = None
        #: Seconds between maintenance rounds (reaping expired leases, pruning old jobs).
        self.maintenance_every = MAINTENANCE_EVERY
        #: What status and the TUI must tell the operator: a refused reload, unfit schedules.
        self.notices = ops_tasks.Notices()

    def request_stop(self) -> None:
        if not self._stop.is_set():
            self.sd.stopping()
        self._stop.set()

    async def run(self) -> None:
        # Every task and thread of this daemon logs with its redactor (logs/structured.py).
        with self.redactor.bound():
            await self._run()

    async def _run(self) -> None:
        cfg = self.config
        # Credentials and the sandbox's directory are checked before the state file is
        # touched: a problem ends the start (exit 2) having created nothing, as check-config.
        self.secrets, sandbox_keys = check_startup(cfg)
        self._redact(self.secrets)
        self._redact({"": sandbox_keys})  # the embedded sandbox's keys
        # One daemon per state file, checked before anything reads or writes it (migrations,
        # crash recovery): a second one raises StateLocked here, having changed nothing.
        lock = state_lock.acquire(cfg.daemon.state_file, "syncwright run")
        try:
            store = await Store.open(cfg.daemon.state_file, hub=self.hub)
            try:
                async with anyio.create_task_group() as outer:
                    await outer.start(store.serve, name="store.writer")
                    try:
                        await self._run_with_store(store)
                    finally:
                        store.stop_writes()
            finally:
                with anyio.CancelScope(shield=True):
                    await store.aclose()
        finally:
            lock.release()
        log.info("daemon.stopped")

    async def _run_with_store(self, store: Store) -> None:
        cfg = self.config
        queue = Queue(
            store,
            self.clock,
            lease_seconds=cfg.daemon.lease,
            max_orphaned=cfg.daemon.max_orphaned,
            on_dead=died_orphaned,  # a poison pill notifies like any dead job (flows/__init__)
        )
        recovered = await queue.recover_orphans()
        log.info("queue.recovered", report=str(recovered))
        budgets = runtime.build_budgets(cfg, self.clock, self.hub)
        for budget in budgets.values():
            await budget.load(store)
        self.services = svc = Services(
            store, queue, self.clock, runtime.retry_policy(cfg), budgets, {}, random.Random()
        )
        try:
            await runtime.sync_connectors(
                svc.connectors, budgets, store, cfg, self.secrets, self._built_from
            )
            await self._serve()
        finally:
            with anyio.CancelScope(shield=True):
                for connector in svc.connectors.values():
                    await connector.aclose()

    async def _serve(self) -> None:
        cfg = self.config
        async with anyio.create_task_group() as tg:
            self._tg = tg
            tg.start_soon(self._signals, name="signals")
            if cfg.sandbox is not None and cfg.sandbox.enabled:
                await runtime.start_sandbox(tg, cfg)
            if cfg.webhooks.enabled:  # the webhook receiver and its dispatcher
                from syncwright.daemon.webhooks import listener as webhooks

                assert self.services is not None
                await webhooks.start(tg, self.services, lambda: self.config, lambda: self.secrets)
            for name in cfg.connections:
                self._start_actor(name)
            if not self.burst:
                tg.start_soon(self._maintenance, name="maintenance")
            else:
                tg.start_soon(self._stop_when_idle, name="burst")
            assert self.services is not None  # the e-mail digest, per [notify] (notify_task.py)
            self.digest = DigestTask(
                self.services.store, self.clock, lambda: self.config.notify, self.redactor
            )
            await self.digest.apply(tg)
            await ops_tasks.start(self, tg)  # metrics endpoint, budget planner (issue 7)
            if not self.burst:  # the control socket (daemon/control/), listening before ready
                await tg.start(ControlServer(self, package_version()).serve, name="control")
            log.info(
                "daemon.ready",
                connections=len(self.slots),
                state_file=str(cfg.daemon.state_file),
            )
            if self.on_ready:
                self.on_ready()
            # systemd READY=1: the store, budgets, actors and the control socket are up.
            self.sd.ready(status_line(self))
            tg.start_soon(self.sd.watchdog, lambda: status_line(self), name="sdnotify")
            await self._stop.wait()
            await self._stop_actors(list(self.slots))
            tg.cancel_scope.cancel()

    # -- actors ----------------------------------------------------------------------------

    def _actor_settings(self, name: str) -> ActorSettings:
        return runtime.actor_settings(self.config, name, self.secrets)

    def _start_actor(self, name: str) -> None:
        assert self._tg is not None and self.services is not None
        slot = ActorSlot(Actor(self._actor_settings(name), self.services, burst=self.burst))
        self.slots[name] = slot
        self._tg.start_soon(self._supervise, slot, name=f"actor.{name}")

    async def _supervise(self, slot: ActorSlot) -> None:
        backoff = 1.0
        name = slot.actor.name
        try:
            with slot.scope:
                while True:
                    try:
                        await slot.actor.run()
                        return
                    except Exception as exc:
                        slot.restarts += 1
                        slot.last_crash = "".join(traceback.format_exception_only(exc)).strip()
                        log.exception(
                            "actor.crashed",
                            connection=name,
                            restarts=slot.restarts,
                            restart_in=backoff,
                        )
                        slot.actor.state = "backing_off"
                        with anyio.move_on_after(backoff):
                            await slot.stopping.wait()
                        if slot.stopping.is_set():
                            return
                        backoff = min(backoff * 2, RESTART_CAP)
                        assert self.services is not None
                        slot.actor = Actor(
                            self._actor_settings(name), self.services, burst=self.burst
                        )
        finally:
            slot.finished.set()

    async def _stop_actors(self, names: list[str]) -> None:
        """Stop taking jobs, give running ones the grace period, then cancel what is left."""
        slots = [self.slots[n] for n in names if n in self.slots]
        for slot in slots:
            slot.stopping.set()
            slot.actor.stop()
        with anyio.move_on_after(self.config.daemon.shutdown_grace):
            for slot in slots:
                await slot.finished.wait()
        for slot in slots:
            if not slot.finished.is_set():
                log.warning(
                    "actor.cancelled", connection=slot.actor.name, running=len(slot.actor.running)
                )
            slot.scope.cancel()
        for slot in slots:
            await slot.finished.wait()
        for name in names:
            self.slots.pop(name, None)

    # -- signals, reload, maintenance ------------------------------------------------------

    async def _signals(self) -> None:
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
            async for signum in signals:
                if signum == signal.SIGHUP:
                    try:
                        await self.reload()
                    except StoreFailed:
                        raise
                    except Exception:  # never lose the signal handler to a failed reload
                        log.exception("config.reload_failed", path=str(self.config_path))
                else:
                    log.info(
                        "daemon.stopping",
                        signal=signal.Signals(signum).name,
                        grace=self.config.daemon.shutdown_grace,
                    )
                    self.request_stop()

    async def reload(self) -> bool:
        """Re-read the config file; apply it, or keep the old one when it is invalid."""
        self.sd.reloading()
        try:
            return await self._reload()
        finally:
            self.sd.ready(status_line(self))

    async def _reload(self) -> bool:
        try:
            new = load_config(self.config_path)
            secrets = resolve_secrets(new)
        except ConfigError as exc:
            log.error("config.reload_rejected", path=str(self.config_path), error=str(exc))
            self.notices.reload_rejected = (self.clock.now(), str(exc))
            return False
        assert self.services is not None
        self._redact(secrets)
        old, old_secrets = self.config, self.secrets
        removed = [n for n in old.connections if n not in new.connections]
        changed = [
            n
            for n in new.connections
            if n in old.connections
            and runtime.actor_settings(old, n, old_secrets)
            != runtime.actor_settings(new, n, secrets)
        ]
        added = [n for n in new.connections if n not in old.connections]
        # Actors stop before the connectors they use are replaced.
        await self._stop_actors(removed + changed)
        budgets_before = set(self.services.budgets)
        try:
            rebuilt = await self._apply(new, secrets)
        except Exception as exc:
            # Building a connector or loading a budget failed: the old config goes back in
            # force, with the actors this reload stopped.
            log.error(
                "config.reload_failed",
                path=str(self.config_path),
                error=f"{type(exc).__name__}: {exc}",
                detail="the old config stays in force; fix the cause and reload again",
            )
            for name in set(self.services.budgets) - budgets_before:
                del self.services.budgets[name]
            await self._apply(old, old_secrets)
            for name in removed + changed:
                self._start_actor(name)
            self.notices.reload_rejected = (self.clock.now(), f"{type(exc).__name__}: {exc}")
            return False
        for name in changed + added:
            self._start_actor(name)
        self.notices.reload_rejected = None
        if self.digest is not None and self._tg is not None:
            try:  # [notify] turned on or off, or a new interval
                await self.digest.apply(self._tg)
            except Exception:
                log.exception("notify.reload_failed")
        log.info(
            "config.reloaded",
            path=str(self.config_path),
            added=added,
            removed=removed,
            restarted=changed,
            systems_rebuilt=rebuilt,
        )
        try:
            await ops_tasks.check_plan(self, "reload")
        except Exception:  # a report only: the reload itself is done
            log.exception("budget.plan_check_failed")
        return True

    async def _apply(self, config: Config, secrets: dict[str, dict[str, str]]) -> list[str]:
        """Put ``config`` in force for the budgets and connectors (the actors it changes are
        stopped); returns the systems whose connector was (re)built."""
        assert self.services is not None
        svc = self.services
        self.config, self.secrets = config, secrets
        for budget in runtime.update_budgets(svc.budgets, config, self.clock, self.hub):
            await budget.load(svc.store)
        return await runtime.sync_connectors(
            svc.connectors, svc.budgets, svc.store, config, secrets, self._built_from
        )

    def _redact(self, secrets: dict[str, dict[str, str]]) -> None:
        for value in (v for values in secrets.values() for v in values.values()):
            self.redactor.add(value)

    async def _maintenance(self) -> None:
        assert self.services is not None
        svc = self.services
        while True:
            await anyio.sleep(self.maintenance_every)
            try:
                now = self.clock.now()
                reaped = await svc.queue.reap_expired()
                pruned = await svc.queue.prune(
                    now - self.config.daemon.job_retention,
                    now - self.config.daemon.dead_retention,
                )
            except StoreFailed:
                raise  # the state file is gone from under the daemon: it stops
            except Exception:  # a bad round must not end the rounds after it
                log.exception("queue.maintenance_failed", retry_in=self.maintenance_every)
                continue
            if reaped or pruned:
                log.info("queue.maintenance", reaped=reaped, pruned=pruned)

    async def _stop_when_idle(self) -> None:
        """Burst mode: stop once every actor has been idle twice in a row."""
        quiet = 0
        while quiet < 2:
            await anyio.sleep(0.2)
            states = [await slot.actor.idle() for slot in list(self.slots.values())]
            quiet = quiet + 1 if all(states) else 0
        log.info("daemon.idle")
        self.request_stop()
