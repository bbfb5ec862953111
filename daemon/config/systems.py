"""The ``[systems.*]`` tables: one model per connector kind, with its API budget and credentials.

Adding a kind (shopify, tryton, oscar, ...): write a settings model and a ``SystemBase``
subclass with ``kind: Literal["<kind>"]``, its ``role`` and ``credential_names``, then add it
to ``AnySystem`` and ``SYSTEM_KINDS`` below. Nothing else in the config code changes.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, field_validator
from pydantic_core import PydanticCustomError

from syncwright.daemon.config.types import CLASS_NAMES, CredentialRef, Duration, StrictModel

Role = Literal["back_office", "channel"]

WINDOW_NAMES = ("second", "minute", "hour", "day", "month")
WindowName = Literal["second", "minute", "hour", "day", "month"]
#: Length of each window in rolling mode; a rolling "month" is 30 days.
WINDOW_SECONDS: dict[str, float] = {
    "second": 1.0,
    "minute": 60.0,
    "hour": 3600.0,
    "day": 86400.0,
    "month": 30 * 86400.0,
}

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
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PydanticCustomError("url", "expected an http:// or https:// URL with a host")
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


class SystemBase(StrictModel):
    """What every system has; subclasses fix ``kind``, ``role``, credentials and settings."""

    #: Back office (source of products, stock, prices) or channel (a shop).
    role: ClassVar[Role]
    #: Credentials this kind needs, by name; each must be given, and no others.
    credential_names: ClassVar[tuple[str, ...]] = ()

    kind: str
    url: Annotated[str, AfterValidator(_check_url)]
    timeout: Duration = 30.0
    credentials: dict[str, CredentialRef] = Field(default_factory=dict)
    budget: Budget = Budget()
    settings: StrictModel

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

    def connector_settings(self) -> dict[str, Any]:
        """Settings for the connector factory: url, timeout and the kind's own settings."""
        return {"url": self.url, "timeout": self.timeout, **self.settings.model_dump()}


class SandboxErpSettings(StrictModel):
    """The sandbox ERP needs nothing beyond url and credentials."""


class SandboxErpSystem(SystemBase):
    """The built-in sandbox back office (see ``[sandbox.erp]``)."""

    role: ClassVar[Role] = "back_office"
    credential_names: ClassVar[tuple[str, ...]] = ("api_key",)

    kind: Literal["sandbox-erp"]
    settings: SandboxErpSettings = SandboxErpSettings()


class SandboxShopSettings(StrictModel):
    #: Back-office warehouse -> shop location; warehouses not listed keep their own name.
    location_map: dict[str, str] = Field(default_factory=dict)


class SandboxShopSystem(SystemBase):
    """The built-in sandbox web shop (see ``[sandbox.shop]``)."""

    role: ClassVar[Role] = "channel"
    credential_names: ClassVar[tuple[str, ...]] = ("api_key",)

    kind: Literal["sandbox-shop"]
    settings: SandboxShopSettings = SandboxShopSettings()


# Kinds with their own module import SystemBase from here, so they are imported at the end.
# Real systems (issue 6): Tryton and Django Oscar; Shopify (issue 5).
from syncwright.daemon.config.real import OscarSystem, TrytonSystem  # noqa: E402
from syncwright.daemon.config.shopify import ShopifySystem  # noqa: E402

AnySystem = Annotated[
    SandboxErpSystem | SandboxShopSystem | TrytonSystem | OscarSystem | ShopifySystem,
    Field(discriminator="kind"),
]

SYSTEM_KINDS: dict[str, type[SystemBase]] = {
    "sandbox-erp": SandboxErpSystem,
    "sandbox-shop": SandboxShopSystem,
    "tryton": TrytonSystem,
    "oscar": OscarSystem,
    "shopify": ShopifySystem,
}
BACK_OFFICE_KINDS = frozenset(k for k, c in SYSTEM_KINDS.items() if c.role == "back_office")
CHANNEL_KINDS = frozenset(k for k, c in SYSTEM_KINDS.items() if c.role == "channel")
