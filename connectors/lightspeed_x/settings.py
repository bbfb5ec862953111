"""``[systems.NAME.settings]`` of a ``kind = "lightspeed-x"`` system: an X-Series store."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from syncwright.connectors.base import KindSettings


class LightspeedXSettings(KindSettings):
    #: The register (by name) that posted orders become sales of; its outlet is the sale's.
    sale_register: str = Field(min_length=1)
    #: How many registers the store has: X-Series allows 300 x registers + 50 calls per 5
    #: minutes. The budget windows are set in [systems.NAME.budget]; this states the plan the
    #: README's formula derives them from, and check-config shows it.
    registers: int = Field(default=1, ge=1, le=1000)
    #: X-Series outlet name -> the location name stock is reported under (the channel's
    #: location map then maps that on); outlets not listed keep their own name.
    outlet_map: dict[str, str] = Field(default_factory=dict)
    #: Rows per page of the version-cursor collections (the emulator's and our ceiling: 1000).
    page_size: int = Field(default=1000, ge=1, le=1000)
    #: The sale status an order is posted with (API 0.9 register_sales statuses).
    sale_status: str = Field(default="AWAITING_DISPATCH", min_length=1)
    #: OAuth add-ons: the JSON file holding the access and refresh tokens (an absolute path;
    #: the connector replaces it atomically when X-Series rotates them) and the add-on's
    #: client id. With them, ``credentials.token`` is the add-on's client secret.
    oauth_token_file: Path | None = None
    oauth_client_id: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _oauth_pair(self) -> LightspeedXSettings:
        if (self.oauth_token_file is None) != (self.oauth_client_id is None):
            raise ValueError("oauth_token_file and oauth_client_id go together")
        if self.oauth_token_file is not None and not self.oauth_token_file.is_absolute():
            raise ValueError("oauth_token_file must be an absolute path")
        return self
