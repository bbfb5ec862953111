"""``[systems.NAME.settings]`` of a ``kind = "oscar"`` system: a Django Oscar shop."""

from __future__ import annotations

from pydantic import Field

from syncwright.connectors.base import KindSettings


class OscarSettings(KindSettings):
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
