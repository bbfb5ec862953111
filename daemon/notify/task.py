"""The e-mail digest task's life: started, stopped or restarted to match ``[notify]``.

The supervisor calls :meth:`DigestTask.apply` at start and after every config reload (SIGHUP).
``enabled`` turned on starts the :class:`daemon.notify.Notifier`; turned off stops it (the
outbox keeps its rows, so nothing is lost; they go out when mail is enabled again). A changed
``digest_interval`` restarts it, so the new interval counts from the reload instead of after
the old, maybe long, sleep. Other settings (recipients, sender, server, prefix) need no
restart: the notifier reads them every round. A stop or restart lets the running notifier
make its usual final attempt to send what is due, with the settings in force at that moment.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
import structlog
from anyio.abc import TaskGroup, TaskStatus

from syncwright.daemon.clock import Clock
from syncwright.daemon.config.notify import NotifyConfig
from syncwright.daemon.logs.structured import Redactor
from syncwright.daemon.notify.outbox import Notifier
from syncwright.daemon.store.db import Store

log = structlog.get_logger("syncwright.notify")


class DigestTask:
    """Owns at most one running Notifier, inside the supervisor's task group."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Callable[[], NotifyConfig],
        redactor: Redactor | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.redactor = redactor
        self.notifier: Notifier | None = None
        self._scope: anyio.CancelScope | None = None
        self._finished: anyio.Event | None = None
        self._interval: float | None = None

    @property
    def running(self) -> bool:
        return self._scope is not None

    async def apply(self, tg: TaskGroup) -> str:
        """Bring the task in line with the current settings; returns what was done
        ("started", "stopped", "restarted" or "unchanged")."""
        config = self.settings()
        if not config.enabled:
            if not self.running:
                return "unchanged"
            await self.stop()
            log.info("notify.stopped", reason="notify.enabled is false")
            return "stopped"
        if self.running and self._interval == config.digest_interval:
            return "unchanged"
        action = "restarted" if self.running else "started"
        await self.stop()
        self._interval = config.digest_interval
        self._finished = anyio.Event()
        self._scope = anyio.CancelScope()
        self.notifier = Notifier(self.store, self.clock, self.settings, redactor=self.redactor)
        await tg.start(self._run, self.notifier, self._scope, self._finished, name="notify")
        log.info(f"notify.{action}", every=config.digest_interval, to=list(config.to))
        return action

    async def stop(self) -> None:
        """Cancel the running notifier (after its final send attempt) and wait until it ended."""
        scope, finished = self._scope, self._finished
        self._scope = self._finished = None
        self._interval = None
        if scope is None or finished is None:
            return
        scope.cancel()
        await finished.wait()

    @staticmethod
    async def _run(
        notifier: Notifier,
        scope: anyio.CancelScope,
        finished: anyio.Event,
        *,
        task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        try:
            with scope:
                await notifier.run(task_status=task_status)
        finally:
            finished.set()
