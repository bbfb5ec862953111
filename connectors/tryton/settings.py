"""``[systems.NAME.settings]`` of a ``kind = "tryton"`` system: the Tryton back office."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from syncwright.connectors.base import KindSettings


class TrytonSettings(KindSettings):
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
