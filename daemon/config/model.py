"""The root of the configuration: the ``Config`` model of config.toml, one field per section,
and the checks that span sections (a connection's systems exist and fit their roles).

Each section has its own module: daemon.py, sandbox.py, systems.py (kinds from the connector
registry), connections.py, notify.py, metrics.py, control.py, webhooks.py; shared field types
are in types.py. Reading a file is load.py; secrets are read apart from validation
(secrets.py), so a config can be checked, printed and diffed without them; summary.py prints
it and reload.py diffs two.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from pydantic import Field, PrivateAttr, model_validator

from syncwright.connectors.registry import KINDS, ROLE_NAMES, ROLES, Role, kinds_for
from syncwright.daemon.config.connections import ConnectionConfig
from syncwright.daemon.config.control import ControlConfig
from syncwright.daemon.config.daemon import DaemonConfig
from syncwright.daemon.config.errors import ConfigError, Problem
from syncwright.daemon.config.metrics import MetricsConfig
from syncwright.daemon.config.notify import NotifyConfig
from syncwright.daemon.config.sandbox import SandboxConfig
from syncwright.daemon.config.systems import AnySystem
from syncwright.daemon.config.types import Name, StrictModel
from syncwright.daemon.config.webhooks import WebhooksConfig


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

    def roles_of(self, system: str) -> list[Role]:
        """The roles ``system`` takes in the connections that use it, in the order source,
        channel; empty when no connection uses it."""
        taken = {
            role
            for conn in self.connections.values()
            for role, name in (("source", conn.source), ("channel", conn.channel))
            if name == system
        }
        return [role for role in ROLES if role in taken]


def _cross_problems(config: Config) -> list[Problem]:
    problems: list[Problem] = []
    known = ", ".join(config.systems) or "(no systems are defined)"
    for name, conn in config.connections.items():
        where = f"connections.{name}"
        role: Role
        for role, wanted in (("source", conn.source), ("channel", conn.channel)):
            system = config.systems.get(wanted)
            if system is None:
                problems.append(
                    Problem(
                        f"{where}.{role}",
                        f"no such system; expected one of: {known}",
                        f'"{wanted}"',
                    )
                )
            elif role not in KINDS[system.kind].roles:
                side = ROLE_NAMES[role].replace(" ", "-")  # "a back-office system"
                problems.append(
                    Problem(
                        f"{where}.{role}",
                        f"system {wanted!r} is of kind {system.kind}, which is not a {side} "
                        f"system; expected a system of kind {', '.join(kinds_for(role))}",
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
