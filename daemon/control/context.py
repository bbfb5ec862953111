"""What a control command sees of the daemon: the supervisor's config, services and actors."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from syncwright.daemon.actor import Actor, Services
from syncwright.daemon.config.model import Config
from syncwright.daemon.control.protocol import ControlError, ErrorCode

if TYPE_CHECKING:
    from syncwright.daemon.supervisor import Supervisor


@dataclass
class ControlContext:
    supervisor: Supervisor
    started_at: float
    version: str
    pid: int = field(default_factory=os.getpid)

    @property
    def config(self) -> Config:
        return self.supervisor.config

    @property
    def services(self) -> Services:
        svc = self.supervisor.services
        if svc is None:
            raise ControlError(ErrorCode.UNAVAILABLE, "the daemon is still starting; try again")
        return svc

    def now(self) -> float:
        return self.supervisor.clock.now()

    def check_connection(self, name: str) -> None:
        if name not in self.config.connections:
            known = ", ".join(self.config.connections) or "none"
            raise ControlError(
                ErrorCode.UNKNOWN_CONNECTION,
                f"no connection named {name!r} in the running config (connections: {known})",
            )

    def actor(self, name: str) -> Actor:
        """The running actor of connection ``name``."""
        self.check_connection(name)
        slot = self.supervisor.slots.get(name)
        if slot is None:
            raise ControlError(
                ErrorCode.UNAVAILABLE,
                f"connection {name!r} is not running (the daemon is starting, stopping or "
                "reloading); try again",
            )
        return slot.actor

    def working_actor(self, name: str) -> Actor:
        """:meth:`actor`, refusing (2005) a connection that is paused or whose authentication
        failed: work queued there would not run, and the operator should hear so at once."""
        actor = self.actor(name)
        state = actor.statistics()
        if state.state == "auth_failed":
            raise ControlError(
                ErrorCode.PAUSED,
                f"connection {name!r} is paused: {state.pause_reason or 'authentication failed'}"
                f" (nothing was queued; `syncwright resume {name}` once fixed)",
            )
        if state.state == "paused":
            raise ControlError(
                ErrorCode.PAUSED,
                f"connection {name!r} is paused ({state.pause_reason or 'by an operator'});"
                f" nothing was queued. Resume it first: syncwright resume {name}",
            )
        return actor
