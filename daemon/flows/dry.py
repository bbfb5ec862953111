"""A channel stand-in for dry-run plans (flows/plan.py): reads go to the real channel, writes
are recorded and answered as if they succeeded, and never leave the daemon."""

from __future__ import annotations

from collections.abc import Sequence

from syncwright.connectors.base import (
    Capabilities,
    ChangeQuery,
    ChannelConnector,
    CustomerDirectory,
    ListQuery,
    OrderSource,
    Page,
)
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Customer, Order, Product, StockLevel, WriteResult
from syncwright.daemon.flows import stock


class DryChannel:
    """A channel that reads through to the real one and records every write instead of
    making it. Only the methods the flows call are offered: a write it does not know is an
    AttributeError, never a remote write."""

    def __init__(self, inner: ChannelConnector) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.capabilities: Capabilities = inner.capabilities
        #: Write requests the sync would make (one per batch).
        self.write_calls = 0
        self.upserted: dict[str, Product] = {}
        self.pushed: list[StockLevel] = []
        self.created: list[Customer] = []

    async def aclose(self) -> None:
        return None

    async def read_products(self, external_ids: Sequence[str]) -> dict[str, Product]:
        return await self.inner.read_products(external_ids)

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        return await self.inner.read_stock(skus)

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        return await self._directory().find_customers(email=email, account_id=account_id)

    async def changed_orders(self, query: ChangeQuery) -> Page[Order]:
        return await self._orders().changed_orders(query)

    async def list_orders(self, query: ListQuery) -> Page[Order]:
        return await self._orders().list_orders(query)

    async def get_order(self, external_id: str) -> Order | None:
        return await self._orders().get_order(external_id)

    async def upsert_products(self, items: Sequence[Product]) -> list[WriteResult]:
        self.write_calls += 1
        self.upserted.update((p.external_id, p) for p in items)
        return [
            WriteResult(external_id=p.external_id, remote_id=f"planned:{p.external_id}")
            for p in items
        ]

    async def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        self.write_calls += 1
        self.pushed.extend(levels)
        return [WriteResult(external_id=stock.level_id(level)) for level in levels]

    async def create_customer(self, customer: Customer) -> str:
        self.write_calls += 1
        self.created.append(customer)
        return f"planned:{customer.external_id}"

    def _directory(self) -> CustomerDirectory:
        if not isinstance(self.inner, CustomerDirectory):
            raise PermanentError(f"{self.kind} cannot look up or create customers")
        return self.inner

    def _orders(self) -> OrderSource:
        if not isinstance(self.inner, OrderSource):
            raise PermanentError(f"channel kind {self.kind} has no orders to pull")
        return self.inner
