"""The ``[connections.*]`` tables: a source system, a channel system, flows and schedules.

Whether the named systems exist and their kinds can serve those roles is checked on the whole
config (daemon/config/model.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from syncwright.daemon.config.notify import OrderOptions
from syncwright.daemon.config.types import (
    Duration,
    DurationOrZero,
    FlowName,
    Name,
    OptionalDuration,
    StrictModel,
    unique,
)


class Schedule(StrictModel):
    #: How often to pull recent changes.
    recent: Duration = 30.0
    #: Every ghost_interval, re-verify the ghost_batch items verified longest ago.
    ghost_interval: Duration = 3600.0
    ghost_batch: int = Field(default=10, ge=1)
    #: None ("" or "off" in the file): no scheduled full sync.
    full: OptionalDuration = 7 * 86400.0
    #: How often to list the source's product ids and discontinue, on the channel, linked
    #: products the source no longer has (deletions that show only as absence); sources that
    #: cannot list ids do it with the full listing at the pace of ``full``. "off": never.
    deletions: OptionalDuration = 3600.0


class CustomerOptions(StrictModel):
    """``[connections.X.customers]``: what the customers flow may do to linked customers."""

    #: Write a linked customer again when it changed in the back office (the whole customer,
    #: where the channel can take it: SparkLayer). Default off: a linked customer belongs to
    #: the channel and is never overwritten (DESIGN.md rule 5).
    update_linked: bool = False


class ConnectionConfig(StrictModel):
    #: The system in the source role (the back office).
    source: Name
    #: The system in the channel role.
    channel: Name
    flows: Annotated[tuple[FlowName, ...], Field(min_length=1), AfterValidator(unique)]
    pull_mode: Literal["auto", "audit"] = "auto"
    page_size: int = Field(default=500, ge=1, le=10000)
    overlap: DurationOrZero = 120.0
    #: At least 2: one slot is always kept for class 0 (sale) work.
    workers: int = Field(default=4, ge=2, le=64)
    schedule: Schedule = Schedule()
    orders: OrderOptions = OrderOptions()
    customers: CustomerOptions = CustomerOptions()
    #: Full syncs verify products against one bulk read of the channel (when it can) once
    #: this many products are linked; 0: never (daemon/flows/bulk_read.py).
    bulk_read_threshold: int = Field(default=2000, ge=0)
