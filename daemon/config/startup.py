"""What ``syncwright run`` needs from outside the config file before it touches the state
file: every credential (the systems' and the embedded sandbox's) and a sandbox data directory
it can create. ``check-config`` asks the same, so a config it passes never fails ``run`` for
one of these; ``run`` asks first, so a failure leaves nothing created (exit status 2)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from syncwright.daemon.config.errors import ConfigError, Problem
from syncwright.daemon.config.model import Config
from syncwright.daemon.config.secrets import resolve_sandbox_secrets, resolve_secrets
from syncwright.daemon.store.usable import directory_problem


def check_startup(
    config: Config, environ: Mapping[str, str] | None = None
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The systems' credentials by system and name, and the sandbox's keys by part. One
    ConfigError names every credential that cannot be read and an unusable data_dir."""
    env = os.environ if environ is None else environ
    problems: list[Problem] = []
    secrets: dict[str, dict[str, str]] = {}
    keys: dict[str, str] = {}
    try:
        secrets = resolve_secrets(config, env)
    except ConfigError as error:
        problems.extend(error.problems)
    try:
        keys = resolve_sandbox_secrets(config, env)
    except ConfigError as error:
        problems.extend(error.problems)
    if config.sandbox.enabled:
        found = directory_problem(config.sandbox.data_dir)
        if found is not None:
            problems.append(Problem("sandbox.data_dir", f"{config.sandbox.data_dir}: {found}"))
    if problems:
        raise ConfigError(problems, config.source)
    return secrets, keys
