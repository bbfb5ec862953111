"""``[systems.NAME.settings]`` of a ``kind = "sparklayer"`` system: a SparkLayer site.

[systems.portal]
kind = "sparklayer"
url = "https://app.sparklayer.io"          # test environment: https://test.app.sparklayer.io
credentials.client_id = { env = "SPARKLAYER_CLIENT_ID" }
credentials.client_secret = { env = "SPARKLAYER_CLIENT_SECRET" }
budget.windows.minute = { limit = 120 }    # SparkLayer publishes no figure: see README
[systems.portal.settings]
site_id = "my-site"
price_list_name = "Tryton Price"           # named after the back office
currency = "GBP"
location_map = { central = "main" }        # back-office location -> stock location external id
"""

from __future__ import annotations

from pydantic import Field

from syncwright.connectors.base import KindSettings


class SparkLayerSettings(KindSettings):
    #: The site's id (Dashboard > Settings > API); sent as ``Site-Id`` on every call.
    site_id: str = Field(min_length=1)
    #: The default price list: named after the back-office platform ("Tryton Price").
    price_list_name: str = Field(default="Back Office Price", min_length=1)
    #: ISO 4217 code of that list (SparkLayer requires one on create).
    currency: str = Field(default="GBP", min_length=3, max_length=3)
    #: Back-office location name -> SparkLayer stock location external id (unmapped: same).
    location_map: dict[str, str] = Field(default_factory=dict)
    #: The ``integration`` name our sync log is mirrored under in SparkLayer's sync-log API.
    integration: str = Field(default="syncwright", min_length=1)
