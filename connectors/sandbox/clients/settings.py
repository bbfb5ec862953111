"""``[systems.NAME.settings]`` of the ``sandbox-erp`` and ``sandbox-shop`` kinds."""

from __future__ import annotations

from pydantic import Field

from syncwright.connectors.base import KindSettings


class SandboxErpSettings(KindSettings):
    """The sandbox back office needs nothing beyond url and credentials."""


class SandboxShopSettings(KindSettings):
    #: Back-office warehouse -> shop location; warehouses not listed keep their own name.
    location_map: dict[str, str] = Field(default_factory=dict)
