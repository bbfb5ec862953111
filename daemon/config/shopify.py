"""The ``kind = "shopify"`` system: a Shopify store over the GraphQL Admin API (a channel).

    [systems.shop]
    kind = "shopify"
    url = "https://example.myshopify.com"
    credentials.access_token = { env = "SHOPIFY_TOKEN" }
    credentials.client_secret = { env = "SHOPIFY_SECRET" }   # signs webhooks
    budget.windows.minute = { limit = 8000 }     # cost points: 60 x 100/s + 2,000 (Standard)
    [systems.shop.settings]
    api_version = "2026-01"
    location_map = { "Main" = "Main warehouse" }           # back office -> Shopify location

An API version we do not support is a config error naming the supported ones.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from syncwright.connectors.shopify.versions import DEFAULT, SUPPORTED
from syncwright.daemon.config.systems import Role, SystemBase
from syncwright.daemon.config.types import StrictModel


class ShopifySettings(StrictModel):
    api_version: str = DEFAULT
    #: Back-office location name -> Shopify location name (or gid://shopify/Location/N).
    location_map: dict[str, str] = Field(default_factory=dict)
    #: Full reads through bulk operations (falls back to paging when refused).
    bulk: bool = True

    @field_validator("api_version")
    @classmethod
    def _supported(cls, value: str) -> str:
        if value not in SUPPORTED:
            raise PydanticCustomError(
                "shopify_version",
                "Shopify API version '{value}' is not supported; use one of: {supported}",
                {"value": value, "supported": ", ".join(SUPPORTED)},
            )
        return value


class ShopifySystem(SystemBase):
    """A Shopify store; its budget unit is GraphQL cost points, not calls."""

    role: ClassVar[Role] = "channel"
    credential_names: ClassVar[tuple[str, ...]] = ("access_token", "client_secret")

    kind: Literal["shopify"]
    settings: ShopifySettings = ShopifySettings()
