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
    bulk_writes = true        # large product writes as one bulk mutation (outside the bucket)
    bulk_write_min = 200      # a batch of at least this many products goes bulk
    bulk_write_batch = 1000   # products handed to the connector at once while bulk writes are on

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
    #: Product writes of at least ``bulk_write_min`` products go through one bulk mutation
    #: (bulkOperationRunMutation), which spends a few calls instead of 10 points per product;
    #: smaller writes stay per call. The daemon hands over ``bulk_write_batch`` at a time.
    bulk_writes: bool = True
    bulk_write_min: int = Field(default=200, ge=1)
    bulk_write_batch: int = Field(default=1000, ge=1, le=100_000)

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
