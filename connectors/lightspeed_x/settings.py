"""``[systems.NAME.settings]`` of a ``kind = "lightspeed-x"`` system: an X-Series store."""

from __future__ import annotations

from pydantic import Field

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
