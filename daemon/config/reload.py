"""Reloading config.toml (SIGHUP): what changed between the running config and the new one.

``diff_configs`` compares the running config with a newly loaded one (a ConfigError from loading
leaves the running config in place). ``ConfigChanges`` tells which systems and connections to
rebuild, and which changed keys only take effect after a restart (they are logged, not applied).
Secrets are not compared here: resolve them again and compare the results. Only tests call this
today: the supervisor compares the two configs itself (``Supervisor._reload``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from syncwright.daemon.config.model import Config

#: Settings the running daemon cannot swap: the store, the socket clients are attached to, and
#: the sandbox servers (started once, with their data).
RESTART_ONLY = (
    "daemon.state_file",
    "daemon.control_socket",
    "control",
    "sandbox",
    "metrics",
)


@dataclass(frozen=True, slots=True)
class ConfigChanges:
    systems_added: tuple[str, ...] = ()
    systems_removed: tuple[str, ...] = ()
    #: Systems whose settings, credential references or budget changed.
    systems_changed: tuple[str, ...] = ()
    connections_added: tuple[str, ...] = ()
    connections_removed: tuple[str, ...] = ()
    #: Connections whose own table changed.
    connections_changed: tuple[str, ...] = ()
    #: Whether anything in [daemon] changed (log level, retry policy, retention, ...).
    daemon_changed: bool = False
    #: Changed keys that apply only after a restart, from RESTART_ONLY.
    restart_needed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self == ConfigChanges()

    def connections_to_restart(self, new: Config) -> tuple[str, ...]:
        """Connections of ``new`` to (re)start: added, changed, or using a changed system."""
        touched = set(self.systems_changed) | set(self.systems_added)
        names = [
            name
            for name, conn in new.connections.items()
            if name in self.connections_added
            or name in self.connections_changed
            or conn.source in touched
            or conn.channel in touched
        ]
        return tuple(names)


def _diff(
    old: Mapping[str, BaseModel], new: Mapping[str, BaseModel]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    added = tuple(n for n in new if n not in old)
    removed = tuple(n for n in old if n not in new)
    changed = tuple(n for n in new if n in old and old[n] != new[n])
    return added, removed, changed


def diff_configs(old: Config, new: Config) -> ConfigChanges:
    systems = _diff(old.systems, new.systems)
    connections = _diff(old.connections, new.connections)
    restart = []
    if old.daemon.state_file != new.daemon.state_file:
        restart.append("daemon.state_file")
    if old.daemon.control_socket_path() != new.daemon.control_socket_path():
        restart.append("daemon.control_socket")
    if old.control != new.control:  # the control server binds its socket once, at start
        restart.append("control")
    if old.sandbox != new.sandbox:
        restart.append("sandbox")
    if old.metrics != new.metrics:
        restart.append("metrics")
    return ConfigChanges(
        systems_added=systems[0],
        systems_removed=systems[1],
        systems_changed=systems[2],
        connections_added=connections[0],
        connections_removed=connections[1],
        connections_changed=connections[2],
        daemon_changed=old.daemon != new.daemon,
        restart_needed=tuple(restart),
    )
