"""Connector clients for the sandbox back office and sandbox shop, and their factories.

Build them with ``build_erp(spec, gate)`` / ``build_shop(spec, gate)`` (the factories of the
``sandbox-erp`` and ``sandbox-shop`` kinds in connectors/registry.py). ``spec.settings`` is a
SandboxErpSettings / SandboxShopSettings (clients/settings.py: the shop's ``location_map``,
back-office location -> shop location); ``spec.secrets["api_key"]`` is the Bearer key.

    SandboxErp   SourceConnector, CustomerSource, CustomerDirectory, OrderTarget,
                 SettingsSource                                     (erp.py)
    SandboxShop  ChannelConnector, OrderSource, CustomerDirectory, SettingsSource,
                 SettingsTarget                                     (shop.py)

Both raise connector errors only; a 409 is a ConflictError (a PermanentError naming the
existing record), except an order posted twice, which is connectors.base.AlreadyPosted.
"""

from __future__ import annotations

from syncwright.connectors.base import CallGate, SystemSpec
from syncwright.connectors.sandbox.clients.base import ConflictError
from syncwright.connectors.sandbox.clients.erp import SandboxErp
from syncwright.connectors.sandbox.clients.settings import SandboxErpSettings, SandboxShopSettings
from syncwright.connectors.sandbox.clients.shop import SandboxShop

__all__ = ["ConflictError", "SandboxErp", "SandboxShop", "build_erp", "build_shop"]


def build_erp(spec: SystemSpec[SandboxErpSettings], gate: CallGate) -> SandboxErp:
    return SandboxErp(spec, gate)


def build_shop(spec: SystemSpec[SandboxShopSettings], gate: CallGate) -> SandboxShop:
    return SandboxShop(spec, gate)
