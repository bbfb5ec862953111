"""``[systems.*]`` kinds for the real systems: Tryton (back office) and Django Oscar (channel).

Registered in daemon/config/systems.py (AnySystem and SYSTEM_KINDS); the connectors read the
same settings (connectors/tryton/client.py, connectors/oscar/client.py).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from syncwright.daemon.config.systems import Role, SystemBase
from syncwright.daemon.config.types import StrictModel


class TrytonSettings(StrictModel):
    #: The Tryton database to log into (the ``/<database>/rpc/`` part of the URL).
    database: str = Field(min_length=1)
    #: The Tryton user; its current company is the company context of every call.
    user: str = Field(default="admin", min_length=1)
    #: The Tryton web shop (Sales > Web Shops) whose unique web ids key the posted orders.
    web_shop: str = Field(min_length=1)
    #: forecast: on hand minus confirmed sales not shipped (posted orders count at once);
    #: on_hand: the physical quantity, changed only by done stock moves.
    stock_quantity: Literal["forecast", "on_hand"] = "forecast"
    #: Quote, confirm and process each posted sale (it is then no longer amendable).
    confirm_orders: bool = True


class TrytonSystem(SystemBase):
    """Tryton 8.x over JSON-RPC."""

    role: ClassVar[Role] = "back_office"
    credential_names: ClassVar[tuple[str, ...]] = ("password",)

    kind: Literal["tryton"]
    settings: TrytonSettings


class OscarSettings(StrictModel):
    #: Code of the Oscar partner whose stock records the daemon writes.
    partner: str = Field(default="main", min_length=1)
    #: Product class (slug) of the products the daemon creates.
    product_class: str = Field(default="goods", min_length=1)
    #: Currency of the prices written.
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    #: The back-office warehouse whose stock that partner holds.
    warehouse: str = Field(default="WH", min_length=1)
    #: The back office deducts posted orders itself, so Oscar's allocations are added back
    #: to the quantity written (an order is never counted twice).
    allocated_in_back_office: bool = True


class OscarSystem(SystemBase):
    """Django Oscar with django-oscar-api's admin API."""

    role: ClassVar[Role] = "channel"
    credential_names: ClassVar[tuple[str, ...]] = ("api_token",)

    kind: Literal["oscar"]
    settings: OscarSettings = OscarSettings()
