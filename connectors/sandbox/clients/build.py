"""Connector clients for the sandbox back office and sandbox shop, and their factories.

Build them with ``build_erp(spec, gate)`` / ``build_shop(spec, gate)``. ``spec.settings`` holds
``url`` and optionally ``timeout`` (seconds); the shop also takes ``location_map`` (back-office
location -> shop location). ``spec.secrets["api_key"]`` is the Bearer key.

    SandboxErp   SourceConnector, CustomerSource, CustomerDirectory, OrderTarget,
                 SettingsSource                                     (client_erp.py)
    SandboxShop  ChannelConnector, OrderSource, CustomerDirectory, SettingsSource,
                 SettingsTarget                                     (client_shop.py)

Both raise connector errors only; a 409 is a ConflictError (a PermanentError naming the
existing record), except an order posted twice, which is connectors.base.AlreadyPosted.
"""

from __future__ import annotations

from syncwright.connectors.base import CallGate, SystemSpec
from syncwright.connectors.sandbox.clients.base import ConflictError
from syncwright.connectors.sandbox.clients.erp import SandboxErp
from syncwright.connectors.sandbox.clients.shop import SandboxShop

__all__ = ["ConflictError", "SandboxErp", "SandboxShop", "build_erp", "build_shop"]


def build_erp(spec: SystemSpec, gate: CallGate) -> SandboxErp:
    return SandboxErp(spec, gate)


def build_shop(spec: SystemSpec, gate: CallGate) -> SandboxShop:
    return SandboxShop(spec, gate)
