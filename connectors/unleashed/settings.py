"""``[systems.NAME.settings]`` of a ``kind = "unleashed"`` system: the Unleashed back office."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from syncwright.connectors.base import KindSettings


class UnleashedSettings(KindSettings):
    #: Sent as ``client-type`` on every request: lowercase, no spaces (Unleashed asks for
    #: "<partner or account>/<app name>"; it does not enforce it).
    client_type: str = Field(default="syncwright/syncwright", pattern=r"^[a-z0-9_./-]+$")
    #: available: QtyOnHand minus AllocatedQty (what is free to sell) | on_hand: QtyOnHand.
    stock_quantity: Literal["available", "on_hand"] = "available"
    #: Warehouse code -> location name the channel sees; a warehouse left out keeps its name.
    location_map: dict[str, str] = Field(default_factory=dict)
    #: Warehouse code that posted sales orders ship from; "" lets Unleashed use its default.
    order_warehouse: str = ""
    #: Orders are posted in this status: Parked can be edited freely, Placed allocates stock.
    order_status: Literal["Parked", "Placed"] = "Parked"
    #: Namespace of the deterministic GUIDs of posted orders and products created at sale time
    #: (a per-connection value keeps two daemons on one account from meeting); any text.
    guid_namespace: str = Field(default="syncwright", min_length=1)
    #: Status code of Unleashed's "monthly quota spent" refusal (undocumented: 429 assumed).
    quota_status: int = Field(default=429, ge=400, le=599)
    #: Items per page (Unleashed's largest is 1000).
    page_size: int = Field(default=1000, ge=1, le=1000)
