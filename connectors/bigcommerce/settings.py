"""``[systems.NAME.settings]`` of a ``kind = "bigcommerce"`` system: one store's REST API.

    [systems.bc]
    kind = "bigcommerce"
    url = "https://api.bigcommerce.com/stores/abc123"      # ends with the store hash
    credentials.access_token = { env = "BIGCOMMERCE_TOKEN" }      # X-Auth-Token
    credentials.client_secret = { env = "BIGCOMMERCE_SECRET" }    # signs webhooks
    budget.windows.second = { limit = 5 }       # 150 per 30 s (Standard/Plus) = 5 a second
    budget.windows.minute = { limit = 300 }
    [systems.bc.settings]
    location_map = { "central" = "Default location" }   # back office -> BigCommerce location
    price_list = "Sandbox Price"

Imports nothing heavy: the config loads it up front.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from syncwright.connectors.base import KindSettings


class BigCommerceSettings(KindSettings):
    #: Back-office location name -> BigCommerce location (its name, code or numeric id).
    #: A location left out is looked up by its own name.
    location_map: dict[str, str] = Field(default_factory=dict)
    #: The B2B price list created on connect and written with every product, named after the
    #: back office ("<Platform> Price"); empty: "BigCommerce Price". Variants keep the default
    #: price as well.
    price_list: str = ""
    #: What a product discontinued at the source becomes: hidden (is_visible=false) or deleted.
    discontinued: Literal["hide", "delete"] = "hide"
    #: Prefix of the product-level SKU that carries the back office's product id (BigCommerce
    #: has no external-id field on products; its ``sku:in`` filter finds them by it).
    id_prefix: str = Field(default="SW-", min_length=1, max_length=16)
