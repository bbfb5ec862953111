"""The ``[daemon]`` section: state file, control socket, logging, leases, retention, retries."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from syncwright.daemon.config.paths import default_state_file
from syncwright.daemon.config.types import (
    CLASS_NAMES,
    ConfigPath,
    Duration,
    DurationOrZero,
    StrictModel,
    fmt,
)

SOCKET_NAME = "control.sock"


class _PerClass(StrictModel):
    def for_class(self, priority: int | str) -> float:
        """The value for a class, by number (0 = sale) or name."""
        name = CLASS_NAMES[priority] if isinstance(priority, int) else priority
        value: float = getattr(self, name)
        return value


class RetryCaps(_PerClass):
    """Longest wait between two attempts, per class."""

    sale: Duration = 3 * 3600.0
    manual: Duration = 120.0
    recent: Duration = 1800.0
    ghost: Duration = 3600.0
    full: Duration = 3600.0


class GiveUps(_PerClass):
    """How long after its first failure a job of each class keeps being retried."""

    sale: Duration = 2 * 86400.0
    manual: Duration = 2 * 3600.0
    recent: Duration = 2 * 86400.0
    ghost: Duration = 86400.0
    full: Duration = 86400.0


class RetryConfig(StrictModel):
    #: First backoff; doubles per attempt (with jitter) up to the class's cap.
    base: Duration = 15.0
    cap: RetryCaps = RetryCaps()
    give_up: GiveUps = GiveUps()
    #: Times a job may be put back for lack of budget before it counts as a failure.
    max_snoozes: int = Field(default=200, ge=1)

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> Self:
        low = [n for n in CLASS_NAMES if self.cap.for_class(n) < self.base]
        if low:
            raise PydanticCustomError(
                "retry",
                "cap of {classes} is shorter than base ({base}); expected each cap >= base",
                {"classes": ", ".join(low), "base": fmt(self.base)},
            )
        return self


def _empty_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class DaemonConfig(StrictModel):
    #: "": $STATE_DIRECTORY/state.db under systemd, else var/state.db (daemon/config/paths.py).
    state_file: Annotated[ConfigPath, BeforeValidator(default_state_file)] = Field(
        default="", validate_default=True
    )
    #: None: ``control.sock`` under the runtime directory (see ``runtime_dir``).
    control_socket: Annotated[ConfigPath | None, BeforeValidator(_empty_is_none)] = None
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    shutdown_grace: DurationOrZero = 30.0
    lease: Duration = 300.0
    job_retention: Duration = 7 * 86400.0
    dead_retention: Duration = 90 * 86400.0
    max_orphaned: int = Field(default=3, ge=1)
    retry: RetryConfig = RetryConfig()

    def control_socket_path(self, environ: Mapping[str, str] | None = None) -> Path:
        """The absolute path of the control socket: as configured, else under the runtime dir."""
        if self.control_socket is not None:
            return self.control_socket.absolute()
        return runtime_dir(environ) / SOCKET_NAME


def runtime_dir(environ: Mapping[str, str] | None = None) -> Path:
    """$RUNTIME_DIRECTORY (systemd), else $XDG_RUNTIME_DIR/syncwright, else /tmp/syncwright-UID."""
    env = os.environ if environ is None else environ
    systemd = env.get("RUNTIME_DIRECTORY", "")
    if systemd:
        # systemd joins several RuntimeDirectory= entries with ':'; ours is the first.
        return Path(systemd.split(":")[0]).absolute()
    xdg = env.get("XDG_RUNTIME_DIR", "")
    if xdg:
        return Path(xdg).absolute() / "syncwright"
    return Path(tempfile.gettempdir()) / f"syncwright-{os.getuid()}"
