"""Every connector kind, described once: its roles, settings model, credentials, factory, and
optional parts (a webhook format, a server the daemon can embed).

Adding a kind: write ``connectors/<kind>/`` (the connector and its ``settings.py`` model) and
add one ``Kind(...)`` line to ``KINDS``. The daemon's config builds its ``[systems.*]`` tables
from ``KINDS`` (daemon/config/systems.py) and checks each connection against the roles: its
``source`` must name a system whose kind can serve as a source (back office), its ``channel``
one whose kind can serve as a channel. A kind may serve both; a system's role comes from the
connection that uses it.

Factories, webhook formats and embedded servers are named as ``"module:attribute"`` and imported
on first use, so a daemon that uses only the sandbox never imports, say, the Shopify client.
Settings models are imported here: the config needs them up front, and they are small models
whose packages import nothing at load (``connectors/<kind>/__init__.py`` stay empty).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import anyio
from anyio.abc import TaskStatus

from syncwright.connectors.base import CallGate, Connector, EmbeddedSpec, KindSettings, SystemSpec
from syncwright.connectors.bigcommerce.settings import BigCommerceSettings
from syncwright.connectors.lightspeed_x.settings import LightspeedXSettings
from syncwright.connectors.oscar.settings import OscarSettings
from syncwright.connectors.rest.settings import RestSettings
from syncwright.connectors.sandbox.clients.settings import SandboxErpSettings, SandboxShopSettings
from syncwright.connectors.shopify.settings import ShopifySettings
from syncwright.connectors.sparklayer.settings import SparkLayerSettings
from syncwright.connectors.sql.settings import SqlSettings
from syncwright.connectors.tryton.settings import TrytonSettings
from syncwright.connectors.unleashed.settings import UnleashedSettings
from syncwright.connectors.webhooks import WebhookFormat
from syncwright.connectors.xero.settings import XeroSettings

Role = Literal["source", "channel"]
ROLES: tuple[Role, ...] = ("source", "channel")
#: How a role reads to an operator (config summaries and error messages).
ROLE_NAMES: dict[Role, str] = {"source": "back office", "channel": "channel"}

SOURCE: frozenset[Role] = frozenset({"source"})
CHANNEL: frozenset[Role] = frozenset({"channel"})


@dataclass(frozen=True, slots=True)
class Kind:
    """One connector kind: what ``kind = "<name>"`` in a ``[systems.*]`` table means."""

    name: str
    #: The roles a system of this kind can take in a connection.
    roles: frozenset[Role]
    #: The model of ``[systems.NAME.settings]``; the connector receives a validated instance.
    settings: type[KindSettings]
    #: Credentials a system of this kind needs, by name: each must be given, and no others.
    credentials: tuple[str, ...]
    #: "module:attribute" of ``(SystemSpec[settings], CallGate) -> Connector``.
    factory: str
    #: "module:attribute" of its WebhookFormat; None: the kind sends no webhooks.
    webhooks: str | None = None
    #: "module:attribute" of an EmbeddedServer the daemon can run for it (the ``[sandbox]``
    #: section); None: nothing to embed.
    embedded: str | None = None
    #: Its connector lists product ids cheaply (connectors.base.ProductIdLister), so deletions
    #: by absence are checked every ``schedule.deletions`` rather than at full-sync pace.
    product_ids: bool = False


_SANDBOX = "syncwright.connectors.sandbox"

#: Every kind, in the order error messages list them.
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "sandbox-erp",
            SOURCE,
            SandboxErpSettings,
            ("api_key",),
            f"{_SANDBOX}.clients.build:build_erp",
            embedded=f"{_SANDBOX}.embedded:serve_erp",
            product_ids=True,
        ),
        Kind(
            "sandbox-shop",
            CHANNEL,
            SandboxShopSettings,
            ("api_key",),
            f"{_SANDBOX}.clients.build:build_shop",
            embedded=f"{_SANDBOX}.embedded:serve_shop",
        ),
        Kind(
            "tryton",
            SOURCE,
            TrytonSettings,
            ("password",),
            "syncwright.connectors.tryton.client:build",
        ),
        Kind(
            "oscar",
            CHANNEL,
            OscarSettings,
            ("api_token",),
            "syncwright.connectors.oscar.client:build",
        ),
        Kind("rest", SOURCE, RestSettings, ("secret",), "syncwright.connectors.rest.writes:build"),
        Kind(
            "sql",
            SOURCE,
            SqlSettings,
            ("password",),
            "syncwright.connectors.sql.writes:build",
            product_ids=True,
        ),
        Kind(
            "shopify",
            CHANNEL,
            ShopifySettings,
            ("access_token", "client_secret"),
            "syncwright.connectors.shopify.connector:build",
            webhooks="syncwright.connectors.shopify.notices:FORMAT",
        ),
        Kind(
            "xero",
            SOURCE,
            XeroSettings,
            ("client_id", "client_secret", "webhook_key"),
            "syncwright.connectors.xero.connector:build",
            webhooks="syncwright.connectors.xero.webhooks:FORMAT",
            product_ids=True,
        ),
        Kind(
            "bigcommerce",
            SOURCE | CHANNEL,
            BigCommerceSettings,
            ("access_token", "client_secret"),
            "syncwright.connectors.bigcommerce.connector:build",
            webhooks="syncwright.connectors.bigcommerce.notices:FORMAT",
            product_ids=True,
        ),
        Kind(
            "unleashed",
            SOURCE,
            UnleashedSettings,
            ("api_id", "api_key"),
            "syncwright.connectors.unleashed.connector:build",
            webhooks="syncwright.connectors.unleashed.notices:FORMAT",
        ),
        Kind(
            "lightspeed-x",
            SOURCE,
            LightspeedXSettings,
            ("token", "webhook_key"),
            "syncwright.connectors.lightspeed_x.connector:build",
            webhooks="syncwright.connectors.lightspeed_x.notices:FORMAT",
            product_ids=True,
        ),
        Kind(
            "sparklayer",
            CHANNEL,
            SparkLayerSettings,
            ("client_id", "client_secret"),
            "syncwright.connectors.sparklayer.connector:build",
        ),
    )
}


class UnknownKind(ValueError):
    pass


class EmbeddedServer(Protocol):
    """Serves a kind's system inside the caller's task group until cancelled; reports its base
    URL through ``task_status`` once it listens (use with ``TaskGroup.start``)."""

    async def __call__(
        self, spec: EmbeddedSpec, *, task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED
    ) -> None: ...


def kind(name: str) -> Kind:
    """The registered kind ``name``; UnknownKind listing the registered ones otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKind(
            f"unknown system kind {name!r}; registered kinds: {', '.join(KINDS)}"
        ) from None


def kinds_for(role: Role) -> list[str]:
    """The names of the kinds that can serve ``role``, sorted."""
    return sorted(k.name for k in KINDS.values() if role in k.roles)


def build(spec: SystemSpec[Any], gate: CallGate) -> Connector:
    """Create the connector for ``spec.kind``, spending through ``gate``."""
    connector: Connector = _load(kind(spec.kind).factory)(spec, gate)
    return connector


def webhook_format(name: str) -> WebhookFormat | None:
    """The webhook format of kind ``name``; None when it sends none or is not registered."""
    entry = KINDS.get(name)
    if entry is None or entry.webhooks is None:
        return None
    found: WebhookFormat = _load(entry.webhooks)
    return found


def embedded_server(name: str) -> EmbeddedServer:
    """The server the daemon can embed for kind ``name``; UnknownKind when it has none."""
    target = kind(name).embedded
    if target is None:
        raise UnknownKind(f"system kind {name!r} has no embedded server")
    found: EmbeddedServer = _load(target)
    return found


def _load(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)
