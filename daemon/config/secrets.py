"""Reading the secrets a config refers to: environment variables and key files.

Kept apart from validation so a config can be checked, printed and diffed without the secrets
being present. Errors name the variable or file, never what it holds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from syncwright.daemon.config.errors import ConfigError, Problem
from syncwright.daemon.config.model import Config
from syncwright.daemon.config.types import CredentialRef


class _Missing(Exception):
    """A credential that cannot be read; the message says which and why."""


def _read(ref: CredentialRef, environ: Mapping[str, str]) -> str:
    if ref.env is not None:
        if ref.env not in environ:
            raise _Missing(f"environment variable {ref.env} is not set")
        value = environ[ref.env].strip()
        if not value:
            raise _Missing(f"environment variable {ref.env} is empty")
        return value
    assert ref.file is not None  # CredentialRef guarantees exactly one of env and file
    try:
        value = ref.file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise _Missing(f"credential file {ref.file} does not exist") from None
    except IsADirectoryError:
        raise _Missing(f"credential file {ref.file} is a directory") from None
    except UnicodeDecodeError:
        raise _Missing(f"credential file {ref.file} is not UTF-8 text") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise _Missing(f"cannot read credential file {ref.file}: {reason}") from None
    if not value:
        raise _Missing(f"credential file {ref.file} is empty")
    return value


def resolve_credential(
    ref: CredentialRef, key_path: str, environ: Mapping[str, str] | None = None
) -> str:
    """The secret ``ref`` points at; ConfigError at ``key_path`` when it is missing or empty."""
    try:
        return _read(ref, os.environ if environ is None else environ)
    except _Missing as missing:
        raise ConfigError([Problem(key_path, str(missing))]) from None


def resolve_secrets(
    config: Config, environ: Mapping[str, str] | None = None
) -> dict[str, dict[str, str]]:
    """Every system's credentials, by system name then credential name.

    Raises one ConfigError listing every credential that cannot be read.
    """
    env = os.environ if environ is None else environ
    secrets: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for system_name, system in config.systems.items():
        values: dict[str, str] = {}
        for key, ref in system.credentials.items():
            try:
                values[key] = _read(ref, env)
            except _Missing as missing:
                problems.append(Problem(f"systems.{system_name}.credentials.{key}", str(missing)))
        secrets[system_name] = values
    if problems:
        raise ConfigError(problems, config.source)
    return secrets


def resolve_sandbox_secrets(
    config: Config, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The sandbox's API keys, ``{"erp": ..., "shop": ...}``; only those configured.

    Empty when the sandbox is disabled.
    """
    if not config.sandbox.enabled:
        return {}
    env = os.environ if environ is None else environ
    keys: dict[str, str] = {}
    problems: list[Problem] = []
    for part, _kind, table in config.sandbox.parts():
        ref = table.api_key
        if ref is None:
            continue
        try:
            keys[part] = _read(ref, env)
        except _Missing as missing:
            problems.append(Problem(f"sandbox.{part}.api_key", str(missing)))
    if problems:
        raise ConfigError(problems, config.source)
    return keys
