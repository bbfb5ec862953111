"""What a channel can do with the back office's history: keep its orders as purchases
(``PurchaseTarget``, daemon/flows/purchases.py) and show the merchant our sync log
(``SyncLogMirror``, daemon/synclog_mirror.py). Both are SparkLayer's so far; they live apart
from connectors/base.py's core contract, which every connector reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from syncwright.connectors.model import Order


@runtime_checkable
class PurchaseTarget(Protocol):
    """A channel that keeps the back office's order history (SparkLayer's purchases): orders
    flow source -> channel, read from a source that is an OrderSource. ``put_purchase`` must
    be an idempotent upsert keyed by the source's order id, so writing one again (after a
    lost answer, or with an amendment or a shipment) replaces it and never adds a copy."""

    async def put_purchase(self, order: Order, *, customer_id: str | None) -> str:
        """Create or replace the purchase; ``customer_id`` is the linked channel customer."""
        ...


ErrorList = Sequence[tuple[str, str]]  # sync-log errors: (external id, message)


@runtime_checkable
class SyncLogMirror(Protocol):
    """A channel that shows the merchant our sync log (SparkLayer's sync-log API), mirrored by
    daemon/synclog_mirror.py. ``log_full`` records a full sync (its start while it runs, both
    times once every item is done; no times for a flow no full sync covers) and replaces every
    logged error; ``log_partial`` adds or updates ``errors``, removes ``resolved`` and, when
    ``when`` is given, sets the last partial sync; ``forget_logs`` deletes the site's logs.
    The channel chunks as its API needs; every call must be safe to repeat (resent)."""

    def mirrors_flow(self, flow: str) -> bool: ...

    async def log_full(
        self, flow: str, *, started: float | None, finished: float | None, errors: ErrorList
    ) -> None: ...

    async def log_partial(
        self, flow: str, *, when: float | None, errors: ErrorList, resolved: Sequence[str]
    ) -> None: ...

    async def forget_logs(self) -> None: ...
