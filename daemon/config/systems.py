"""The ``[systems.*]`` tables: what every system has (url, timeout, credentials, API budget), and
one model per connector kind, built from the connector registry.

A kind is described once, in connectors/registry.py: its settings model, credentials and
roles. ``SYSTEM_MODELS`` turns each registered kind into a ``SystemBase`` subclass with
``kind: Literal["<kind>"]`` and that settings model; ``AnySystem`` is their union, told apart
by ``kind``. Adding a kind changes nothing here.
"""

from __future__ import annotations

import difflib
import operator
from functools import reduce
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, field_validator
from pydantic_core import PydanticCustomError

from syncwright.connectors.base import KindSettings, url_scheme_ok
from syncwright.connectors.registry import KINDS, Kind
from syncwright.daemon.budget.windows import WINDOW_SECONDS, window_seconds
from syncwright.daemon.config.types import CLASS_NAMES, CredentialRef, Duration, StrictModel


def _check_window(name: str) -> str:
    try:
        window_seconds(name)
    except ValueError:
        raise PydanticCustomError(
            "budget_window",
            "expected second, minute, hour, day, month, or a span such as 30s, 5m or 2h",
        ) from None
    return name


#: second, minute, hour, day, month, or a span such as "30s" or "5m" (rolling only).
WindowName = Annotated[str, AfterValidator(_check_window)]

Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "timezone", 'expected an IANA time zone name such as "UTC" or "Europe/Berlin"'
        ) from None
    return name


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if not url_scheme_ok(parts.scheme) or not parts.netloc:
        raise PydanticCustomError(
            "url", "expected an http:// or https:// URL (or a database URL) with a host"
        )
    if parts.password:
        # It would be shown by check-config and status: the password belongs in credentials.
        raise PydanticCustomError("url", "the url holds a password: put it in credentials")
    return url.rstrip("/")


class Window(StrictModel):
    """One quota window of an API account: at most ``limit`` calls per window."""

    limit: int = Field(gt=0)
    #: rolling: any span of the window's length; calendar: resets at the start of each
    #: minute/hour/day/month on the wall clock of ``timezone`` (as billing quotas do).
    mode: Literal["rolling", "calendar"] = "rolling"
    timezone: Annotated[str, AfterValidator(_check_timezone)] = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Reserves(StrictModel):
    """Share of each window a class must leave unspent; orders (sale) may use it all."""

    sale: Fraction = 0.0
    manual: Fraction = 0.05
    recent: Fraction = 0.15
    ghost: Fraction = 0.30
    full: Fraction = 0.30

    def for_class(self, priority: int | str) -> float:
        """The reserve of a class, by number (0 = sale) or name."""
        name = CLASS_NAMES[priority] if isinstance(priority, int) else priority
        value: float = getattr(self, name)
        return value


class Budget(StrictModel):
    """The API budget of one system's account, shared by every connection that uses it."""

    reserve: Reserves = Reserves()
    windows: dict[WindowName, Window] = Field(default_factory=dict)

    @field_validator("windows")
    @classmethod
    def _spans_roll(cls, value: dict[str, Window]) -> dict[str, Window]:
        for name, window in value.items():
            if window.mode == "calendar" and name not in WINDOW_SECONDS:
                raise PydanticCustomError(
                    "budget_window",
                    "the {name} window is rolling only: no calendar has that period",
                    {"name": name},
                )
        return value


class SystemBase(StrictModel):
    """What every system has; the subclass built for each kind fixes ``kind``, its settings
    model and ``credential_names``."""

    #: Credentials this kind needs, by name; each must be given, and no others.
    credential_names: ClassVar[tuple[str, ...]] = ()

    kind: str
    url: Annotated[str, AfterValidator(_check_url)]
    timeout: Duration = 30.0
    credentials: dict[str, CredentialRef] = Field(default_factory=dict)
    budget: Budget = Budget()
    settings: KindSettings

    @field_validator("credentials")
    @classmethod
    def _known_credentials(cls, value: dict[str, CredentialRef]) -> dict[str, CredentialRef]:
        wanted = cls.credential_names
        problems = []
        for name in value:
            if name not in wanted:
                close = difflib.get_close_matches(name, wanted, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(f"unknown credential {name!r}{hint}")
        problems += [f"missing credential {name!r}" for name in wanted if name not in value]
        if problems:
            expected = ", ".join(wanted) or "none"
            raise PydanticCustomError(
                "credentials",
                "{problems}; expected credentials: {expected}",
                {"problems": "; ".join(problems), "expected": expected},
            )
        return value


def _system_model(kind: Kind) -> type[SystemBase]:
    """The ``[systems.*]`` model of one registered kind."""
    namespace: dict[str, object] = {
        "__module__": __name__,
        "__doc__": f"A system of kind {kind.name!r} (connectors/registry.py).",
        "__annotations__": {"kind": Literal[kind.name], "settings": kind.settings},
        "credential_names": kind.credentials,
    }
    if not any(field.is_required() for field in kind.settings.model_fields.values()):
        namespace["settings"] = kind.settings()  # the table may be left out
    name = "".join(part.title() for part in kind.name.split("-")) + "System"
    model: type[SystemBase] = type(name, (SystemBase,), namespace)
    return model


#: kind name -> its model, in the registry's order (error messages list kinds in it).
SYSTEM_MODELS: dict[str, type[SystemBase]] = {name: _system_model(k) for name, k in KINDS.items()}

if TYPE_CHECKING:
    AnySystem = SystemBase
else:
    # One member per registered kind, told apart by ``kind``: SandboxErpSystem | ... .
    AnySystem = Annotated[reduce(operator.or_, SYSTEM_MODELS.values()), Field(discriminator="kind")]
