"""Building blocks of the config models: the strict base model, names, durations, paths, secrets.

Relative paths are resolved against the config file's directory, which ``load_config`` passes
as the validation context ``{"base_dir": Path}``; without a context they are kept as written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from syncwright.daemon.durations import EXPECTED as DURATION_EXPECTED
from syncwright.daemon.durations import format_duration, parse_duration

#: Priority classes, in order: index = class number (0 runs first).
CLASS_NAMES = ("sale", "manual", "recent", "ghost", "full")
ClassName = Literal["sale", "manual", "recent", "ghost", "full"]

FLOW_NAMES = ("products", "stock", "prices", "customers", "orders", "settings", "purchases")
FlowName = Literal["products", "stock", "prices", "customers", "orders", "settings", "purchases"]


class StrictModel(BaseModel):
    """Base of every config model: frozen, and an unknown key is an error, not a silent no-op."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- names ---------------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def _check_name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise PydanticCustomError(
            "name",
            "expected a name of up to 64 letters, digits, '-' or '_', starting with a letter "
            "or digit",
        )
    return value


#: A system or connection name: it appears in logs, the state file and control commands.
Name = Annotated[str, AfterValidator(_check_name)]


def unique(values: tuple[str, ...]) -> tuple[str, ...]:
    """An AfterValidator for lists: each entry at most once."""
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise PydanticCustomError(
            "unique", "expected each entry once; repeated: {repeated}", {"repeated": seen[0]}
        )
    return values


#: A list of names (warehouses, locations) in which no name is repeated.
UniqueNames = Annotated[tuple[Name, ...], Field(min_length=1), AfterValidator(unique)]


# --- durations -----------------------------------------------------------------------------


def _duration(value: object) -> float:
    try:
        return parse_duration(value)
    except ValueError:
        raise PydanticCustomError("duration", f"expected {DURATION_EXPECTED}") from None


def _positive(seconds: float) -> float:
    if seconds <= 0:
        raise PydanticCustomError("duration", "expected a duration longer than 0s")
    return seconds


def _optional_duration(value: object) -> float | None:
    if isinstance(value, str) and value.strip().lower() in ("", "off"):
        return None
    return _positive(_duration(value))


#: Seconds, written as a number or "30s"; zero allowed.
DurationOrZero = Annotated[float, BeforeValidator(_duration)]
#: Seconds, longer than zero.
Duration = Annotated[float, BeforeValidator(_duration), AfterValidator(_positive)]
#: Seconds, or None when written as "" or "off".
OptionalDuration = Annotated[float | None, BeforeValidator(_optional_duration)]


def fmt(seconds: float | None) -> str:
    """A duration for people: "30s", "1h30m", "off"."""
    return "off" if seconds is None else format_duration(seconds)


# --- paths ---------------------------------------------------------------------------------


def _path(value: object, info: ValidationInfo) -> Path:
    if not isinstance(value, str | Path) or not str(value).strip():
        raise PydanticCustomError("path", "expected a non-empty file path")
    path = Path(value).expanduser()
    base = info.context.get("base_dir") if isinstance(info.context, dict) else None
    if not path.is_absolute() and isinstance(base, Path):
        path = base / path
    return path


#: A filesystem path; relative ones are taken from the config file's directory.
ConfigPath = Annotated[Path, BeforeValidator(_path)]


# --- listen addresses ----------------------------------------------------------------------


def _check_listen(value: str) -> str:
    host, _, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise PydanticCustomError(
            "listen", 'expected "host:port" with a port from 1 to 65535, e.g. "127.0.0.1:8701"'
        )
    return value


#: "host:port" ("[::1]:8701" for IPv6).
Listen = Annotated[str, AfterValidator(_check_listen)]


def split_listen(listen: str) -> tuple[str, int]:
    """ "127.0.0.1:8701" -> ("127.0.0.1", 8701); brackets around an IPv6 host are dropped."""
    host, _, port = listen.rpartition(":")
    return host.removeprefix("[").removesuffix("]"), int(port)


# --- credentials ---------------------------------------------------------------------------


class CredentialRef(StrictModel):
    """Where a secret lives: ``{ env = "NAME" }`` or ``{ file = "path" }``. Never the secret.

    The model holds only the reference, so a config object can be printed, logged or sent to
    the UI without leaking anything. ``resolve_secrets`` (daemon/config/secrets.py) reads them.
    """

    env: str | None = None
    file: ConfigPath | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secret(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise PydanticCustomError(
                "credential",
                'expected a reference { env = "VARIABLE" } or { file = "path" }; a secret '
                "written into config.toml would end up in backups and bug reports",
            )
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.env is None) == (self.file is None):
            raise PydanticCustomError(
                "credential", 'expected exactly one of { env = "VARIABLE" } or { file = "path" }'
            )
        if self.env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.env):
            raise PydanticCustomError(
                "credential", "expected an environment variable name such as SYNCWRIGHT_ERP_KEY"
            )
        return self

    def describe(self) -> str:
        """The reference for people: "env:SYNCWRIGHT_ERP_KEY" or "file:/etc/syncwright/erp.key"."""
        return f"env:{self.env}" if self.env is not None else f"file:{self.file}"
