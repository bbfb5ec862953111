"""The daemon's configuration: pydantic models of config.toml, loading, secrets and reload diffs.

``load_config(path)`` reads and validates a file and raises ConfigError listing every problem.
Secrets stay out of the models (they hold ``{ env = ... }`` / ``{ file = ... }`` references
only); ``resolve_secrets(config)`` reads them in a separate step, so ``check-config`` and the
UI can show a config without ever holding a secret.

Split by seam: config_types (shared field types, CredentialRef), config_systems (one model per
connector kind, budgets), config_errors (ConfigError and message formatting), config_secrets,
config_summary and config_reload (diffs for SIGHUP). Import the public names from here.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from syncwright.daemon.config.control import ControlConfig
from syncwright.daemon.config.errors import ConfigError, Problem, problems_from_validation
from syncwright.daemon.config.metrics import MetricsConfig
from syncwright.daemon.config.notify import NotifyConfig, OrderOptions
from syncwright.daemon.config.paths import PACKAGED, default_sandbox_dir, default_state_file
from syncwright.daemon.config.secrets import (
    resolve_credential,
    resolve_sandbox_secrets,
    resolve_secrets,
)
from syncwright.daemon.config.systems import (
    BACK_OFFICE_KINDS,
    CHANNEL_KINDS,
    SYSTEM_KINDS,
    WINDOW_NAMES,
    AnySystem,
    Budget,
    Reserves,
    SystemBase,
    Window,
)
from syncwright.daemon.config.types import (
    CLASS_NAMES,
    FLOW_NAMES,
    ClassName,
    ConfigPath,
    CredentialRef,
    Duration,
    DurationOrZero,
    FlowName,
    Listen,
    Name,
    OptionalDuration,
    StrictModel,
    fmt,
)
from syncwright.daemon.config.webhooks import WebhooksConfig

__all__ = [
    "BACK_OFFICE_KINDS",
    "CHANNEL_KINDS",
    "CLASS_NAMES",
    "FLOW_NAMES",
    "SYSTEM_KINDS",
    "WINDOW_NAMES",
    "Budget",
    "ClassName",
    "Config",
    "ConfigError",
    "ConnectionConfig",
    "CredentialRef",
    "DaemonConfig",
    "FlowName",
    "Problem",
    "Reserves",
    "RetryConfig",
    "SandboxConfig",
    "Schedule",
    "SystemBase",
    "Window",
    "default_config_path",
    "load_config",
    "parse_config",
    "resolve_credential",
    "resolve_sandbox_secrets",
    "resolve_secrets",
    "runtime_dir",
]

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


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise PydanticCustomError(
            "unique", "expected each entry once; repeated: {repeated}", {"repeated": seen[0]}
        )
    return values


class SandboxErp(StrictModel):
    listen: Listen = "127.0.0.1:8701"
    products: int = Field(default=2000, ge=0)
    variants_per_product: int = Field(default=2, ge=1)
    warehouses: Annotated[tuple[Name, ...], Field(min_length=1), AfterValidator(_unique)] = (
        "main",
        "backup",
    )
    customers: int = Field(default=500, ge=0)
    change_rate: float = Field(default=0.5, ge=0.0)
    #: Requests per minute the sandbox allows before answering 429; 0: no limit.
    rate_limit_per_minute: int = Field(default=0, ge=0)
    #: The key the sandbox accepts; None: its built-in demo key.
    api_key: CredentialRef | None = None


class SandboxShop(StrictModel):
    listen: Listen = "127.0.0.1:8702"
    order_rate: float = Field(default=0.0, ge=0.0)
    #: Stock locations the shop has.
    locations: Annotated[tuple[Name, ...], Field(min_length=1), AfterValidator(_unique)] = (
        "main",
        "backup",
    )
    rate_limit_per_minute: int = Field(default=0, ge=0)
    api_key: CredentialRef | None = None


class SandboxConfig(StrictModel):
    enabled: bool = False
    data_dir: Annotated[ConfigPath, BeforeValidator(default_sandbox_dir)] = Field(
        default="", validate_default=True
    )
    erp: SandboxErp = SandboxErp()
    shop: SandboxShop = SandboxShop()

    @model_validator(mode="after")
    def _distinct_ports(self) -> Self:
        if self.erp.listen == self.shop.listen:
            raise PydanticCustomError(
                "listen",
                "erp and shop both listen on {listen}; expected two different addresses",
                {"listen": self.erp.listen},
            )
        return self


class Schedule(StrictModel):
    #: How often to pull recent changes.
    recent: Duration = 30.0
    #: Every ghost_interval, re-verify the ghost_batch items verified longest ago.
    ghost_interval: Duration = 3600.0
    ghost_batch: int = Field(default=10, ge=1)
    #: None ("" or "off" in the file): no scheduled full sync.
    full: OptionalDuration = 7 * 86400.0


class ConnectionConfig(StrictModel):
    source: Name
    channel: Name
    flows: Annotated[tuple[FlowName, ...], Field(min_length=1), AfterValidator(_unique)]
    pull_mode: Literal["auto", "audit"] = "auto"
    page_size: int = Field(default=500, ge=1, le=10000)
    overlap: DurationOrZero = 120.0
    #: At least 2: one slot is always kept for class 0 (sale) work.
    workers: int = Field(default=4, ge=2, le=64)
    schedule: Schedule = Schedule()
    orders: OrderOptions = OrderOptions()
    #: Full syncs verify products against one bulk read of the channel (when it can) once
    #: this many products are linked; 0: never (daemon/flows/bulk_read.py).
    bulk_read_threshold: int = Field(default=2000, ge=0)


class Config(StrictModel):
    daemon: DaemonConfig
    sandbox: SandboxConfig
    systems: dict[Name, AnySystem] = Field(default_factory=dict)
    connections: dict[Name, ConnectionConfig] = Field(default_factory=dict)
    notify: NotifyConfig = NotifyConfig()
    metrics: MetricsConfig = MetricsConfig()  # Prometheus endpoint (daemon/ops/metrics.py)
    control: ControlConfig = ControlConfig()
    webhooks: WebhooksConfig = WebhooksConfig()  # daemon/config/webhooks.py

    _source: Path | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _default_sections(cls, data: Any) -> Any:
        # Absent sections are validated as empty tables, so their relative default paths
        # resolve against the config directory like written ones.
        if isinstance(data, dict):
            data = {"daemon": {}, "sandbox": {}, **data}
        return data

    @model_validator(mode="after")
    def _cross_check(self) -> Self:
        problems = _cross_problems(self)
        if problems:
            raise ConfigError(problems)
        return self

    @property
    def source(self) -> Path | None:
        """The file this config was loaded from, if any."""
        return self._source

    @property
    def system_names(self) -> tuple[str, ...]:
        return tuple(self.systems)

    @property
    def connection_names(self) -> tuple[str, ...]:
        return tuple(self.connections)

    def control_socket_path(self, environ: Mapping[str, str] | None = None) -> Path:
        if self.control.path is not None:  # [control] path wins over daemon.control_socket
            return self.control.path.absolute()
        return self.daemon.control_socket_path(environ)

    def summary(self) -> str:
        """What ``syncwright check-config`` prints: systems, budgets, connections; no secrets."""
        from syncwright.daemon.config.summary import summarize

        return summarize(self)


def _cross_problems(config: Config) -> list[Problem]:
    problems: list[Problem] = []
    known = ", ".join(config.systems) or "(no systems are defined)"
    for name, conn in config.connections.items():
        where = f"connections.{name}"
        for role, wanted, kinds in (
            ("source", conn.source, BACK_OFFICE_KINDS),
            ("channel", conn.channel, CHANNEL_KINDS),
        ):
            system = config.systems.get(wanted)
            if system is None:
                problems.append(
                    Problem(
                        f"{where}.{role}",
                        f"no such system; expected one of: {known}",
                        f'"{wanted}"',
                    )
                )
            elif system.kind not in kinds:
                side = "back-office" if role == "source" else "channel"
                problems.append(
                    Problem(
                        f"{where}.{role}",
                        f"system {wanted!r} is of kind {system.kind}, which is not a {side} "
                        f"system; expected a system of kind {', '.join(sorted(kinds))}",
                        f'"{wanted}"',
                    )
                )
        if conn.source == conn.channel:
            problems.append(
                Problem(
                    f"{where}.channel",
                    "expected a system different from the source",
                    f'"{conn.channel}"',
                )
            )
    return problems


def parse_config(
    data: Mapping[str, Any], *, base_dir: Path | None = None, source: Path | None = None
) -> Config:
    """Validate already-parsed TOML data; relative paths are taken from ``base_dir``."""
    packaged = source is not None and source.absolute() == packaged_config_path()
    context: dict[str, Any] = {PACKAGED: packaged}
    if base_dir is not None:
        context["base_dir"] = base_dir.absolute()
    try:
        config = Config.model_validate(dict(data), context=context)
    except ValidationError as error:
        raise ConfigError(problems_from_validation(error, Config), source) from None
    except ConfigError as error:
        raise (error.with_source(source) if source is not None else error) from None
    config._source = source
    return config


def load_config(path: str | Path) -> Config:
    """Read, parse and validate a config file; raise ConfigError naming every problem."""
    path = Path(path).expanduser().absolute()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([Problem("", "the config file does not exist")], path) from None
    except IsADirectoryError:
        raise ConfigError([Problem("", "expected a file, found a directory")], path) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError([Problem("", f"cannot read the config file: {reason}")], path) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        message = f"not valid UTF-8 text (byte {error.start}); save the file as UTF-8"
        raise ConfigError([Problem("", message)], path) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([Problem("", _syntax_message(error))], path) from None
    # The packaged copy's relative paths (connectors/sandbox/demo.key) are taken from the
    # directory holding the packages, as the checkout's are taken from the checkout.
    base = path.parent.parent if path == packaged_config_path() else path.parent
    return parse_config(data, base_dir=base, source=path)


def _syntax_message(error: tomllib.TOMLDecodeError) -> str:
    # Python 3.11's TOMLDecodeError has no lineno attribute; the position ends the message.
    text = str(error)
    match = re.search(r"\(at line (\d+), column (\d+)\)$", text)
    if match is None:
        return f"TOML syntax error: {text}"
    reason = text[: match.start()].rstrip()
    return f"line {match[1]}, column {match[2]}: TOML syntax error: {reason}"


def default_config_path() -> Path:
    """The shipped config.toml: the checkout's top-level one, else the packaged copy."""
    checkout = Path(__file__).resolve().parents[2] / "config.toml"
    if checkout.is_file():
        return checkout
    return packaged_config_path()


def packaged_config_path() -> Path:
    """config.toml as shipped inside the installed package: daemon/default_config.toml, in the
    checkout a symbolic link to the top-level config.toml (not resolved here, so the two differ).
    """
    return Path(__file__).resolve().parents[1] / "default_config.toml"
