"""``[systems.NAME.settings]`` of a ``kind = "shopify"`` system: a store on the GraphQL Admin API.

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

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from syncwright.connectors.base import KindSettings
from syncwright.connectors.shopify.versions import DEFAULT, SUPPORTED


class ShopifySettings(KindSettings):
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
