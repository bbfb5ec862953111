"""The writing half of the ``rest`` connector, and the factory that puts the halves together.

Each part a manifest describes adds its protocols (connectors/base.py) to the connector
class, and only those: a manifest without an order look-up has no ShipmentLookup, one
without customers is no CustomerDirectory. What is not described is not pretended.

Orders are posted at most once: with ``lookup`` the channel's reference is looked up before
every create, and an idempotency header (the reference) makes a create the server saw
before answer with the first order; a duplicate refused (``conflict_status``) or answered
as a replay (``replayed_header``) raises AlreadyPosted with the existing order's id.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from syncwright.connectors.base import (
    AlreadyPosted,
    CallGate,
    ChangeQuery,
    ListQuery,
    Page,
    SystemSpec,
)
from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.model import Customer, Order, Product, Shipment, StoreSettings
from syncwright.connectors.rest.http import RestError
from syncwright.connectors.rest.manifest import Manifest, Orders, Write
from syncwright.connectors.rest.mapping import search
from syncwright.connectors.rest.settings import RestSettings
from syncwright.connectors.rest.source import RestSource, fill, fill_params


class _Writes(RestSource):
    async def write(self, write: Write, context: dict[str, Any], values: dict[str, str]) -> str:
        body = search(write.body, context)
        answer = await self.http.json(write.method, fill(write.path, values), body=body)
        return self.new_id(write, answer)

    def new_id(self, write: Write, answer: Any) -> str:
        found = search(write.id, answer)
        if isinstance(found, bool) or not isinstance(found, str | int) or found == "":
            raise PayloadError(f"{write.path}: the answer names no new id", system=self.name)
        return str(found)


class CustomerFeed(RestSource):
    async def changed_customers(self, query: ChangeQuery) -> Page[Customer]:
        return await self._page("customers", query)

    async def list_customers(self, query: ListQuery) -> Page[Customer]:
        return await self._page("customers", query)

    async def get_customer(self, external_id: str) -> Customer | None:
        request = self.entity("customers").by_id
        if request is None:
            return None
        for raw in await self.lookup("customers", request, {"id": external_id}):
            found: Customer = self.mappers["customers"].one(raw).record
            if found.external_id == external_id:
                return found
        return None


class CustomerBook(_Writes):
    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        """Exact matches only (e-mail ignoring case), whatever the search returned."""
        described = self.manifest.writes.customers
        assert described is not None
        found: dict[str, Customer] = {}
        asks = []
        if email:
            asks.append((described.search_email, {"email": email}))
        if account_id and described.search_account is not None:
            asks.append((described.search_account, {"account_id": account_id}))
        for request, values in asks:
            for raw in await self.lookup("customers", request, values):
                customer: Customer = self.mappers["customers"].one(raw).record
                same_email = bool(email) and (customer.email or "").lower() == email.lower()  # type: ignore[union-attr]
                same_account = bool(account_id) and customer.accounting_id == account_id
                if same_email or same_account:
                    found[customer.external_id] = customer
        return list(found.values())

    async def create_customer(self, customer: Customer) -> str:
        described = self.manifest.writes.customers
        assert described is not None
        return await self.write(described.create, customer.model_dump(mode="json"), {})


class OrderBook(_Writes):
    def _orders(self) -> Orders:
        described = self.manifest.writes.orders
        assert described is not None
        return described

    async def find_order(self, channel_ref: str) -> str | None:
        orders = self._orders()
        if orders.lookup is None:
            return None
        found = await self.lookup_raw(orders.lookup, {"channel_ref": channel_ref})
        if not found:
            return None
        ident = search(orders.lookup_id, found[0])
        return None if ident in (None, "") else str(ident)

    async def lookup_raw(self, request: Any, values: dict[str, str]) -> list[Any]:
        try:
            body = await self.http.json(
                request.method, fill(request.path, values), fill_params(request, values)
            )
        except RestError as exc:
            if exc.status == 404:
                return []
            raise
        found = search(request.records, body)
        if found is None:
            return []
        return found if isinstance(found, list) else [found]

    async def create_order(self, order: Order, *, customer_id: str, channel_ref: str) -> str:
        orders = self._orders()
        if orders.lookup is not None:
            existing = await self.find_order(channel_ref)
            if existing is not None:
                raise AlreadyPosted(channel_ref, existing)
        context = {
            **order.model_dump(mode="json"),
            "customer_id": customer_id,
            "channel_ref": channel_ref,
        }
        headers = {}
        if orders.idempotency_header:
            headers[orders.idempotency_header] = channel_ref
        create = orders.create
        try:
            response = await self.http.send(
                create.method,
                fill(create.path, {}),
                body=search(create.body, context),
                headers=headers,
            )
        except RestError as exc:
            if orders.conflict_status is None or exc.status != orders.conflict_status:
                raise
            existing = search(orders.conflict_id, exc.body) if exc.body is not None else None
            if existing in (None, ""):
                if orders.lookup is None:
                    raise PayloadError(
                        f"order {channel_ref} was refused as a duplicate without its id",
                        system=self.name,
                    ) from None
                existing = await self.find_order(channel_ref)
                if existing is None:
                    raise
            raise AlreadyPosted(channel_ref, str(existing)) from None
        ident = self.new_id(create, self.http.decode(create.method, create.path, response))
        replayed = orders.replayed_header
        if replayed and response.headers.get(replayed, "").lower() in ("true", "1", "yes"):
            raise AlreadyPosted(channel_ref, ident)
        return ident

    async def amend_order(self, order_id: str, order: Order) -> None:
        amend = self._orders().amend
        if amend is None:
            raise PermanentError("the manifest describes no order amendment", system=self.name)
        context = {**order.model_dump(mode="json"), "order_id": order_id}
        await self.http.json(
            amend.method, fill(amend.path, {"order_id": order_id}), body=search(amend.body, context)
        )

    async def add_shipment(self, order_id: str, shipment: Shipment) -> None:
        ship = self._orders().ship
        if ship is None:
            raise PermanentError("the manifest describes no shipments", system=self.name)
        context = {**shipment.model_dump(mode="json"), "order_id": order_id}
        await self.http.json(
            ship.method, fill(ship.path, {"order_id": order_id}), body=search(ship.body, context)
        )

    async def create_product(self, product: Product) -> str:
        described = self.manifest.writes.products
        if described is None:
            raise PermanentError("the manifest describes no product create", system=self.name)
        return await self.write(described, product.model_dump(mode="json"), {})


class ShipmentCheck(OrderBook):
    async def has_shipment(self, order_id: str, shipment_id: str) -> bool:
        orders = self._orders()
        assert orders.get is not None
        found = await self.lookup_raw(orders.get, {"order_id": order_id})
        ids = search(orders.shipment_ids, found[0]) if found else None
        return isinstance(ids, list) and shipment_id in [str(i) for i in ids]


class SettingsReader(RestSource):
    async def get_settings(self) -> StoreSettings:
        described = self.manifest.settings
        assert described is not None
        body = await self.http.json(described.request.method, described.request.path)
        return StoreSettings(
            currency=str(search(described.currency, body)),
            name=str(search(described.name, body) or ""),
        )


@cache
def connector_class(parts: frozenset[str]) -> type[RestSource]:
    """The connector class with the protocols of the described ``parts``."""
    table: dict[str, type[RestSource]] = {
        "settings": SettingsReader,
        "shipments": ShipmentCheck,
        "orders": OrderBook,
        "customer_book": CustomerBook,
        "customers": CustomerFeed,
    }
    bases = tuple(cls for name, cls in table.items() if name in parts) or (RestSource,)
    return type("RestBackOffice", bases, {"__doc__": RestSource.__doc__})


def parts_of(manifest: Manifest) -> frozenset[str]:
    parts = set()
    if "customers" in manifest.entities:
        parts.add("customers")
        if manifest.writes.customers is not None:
            parts.add("customer_book")
            if manifest.writes.orders is not None:
                parts.add("orders")
                if manifest.writes.orders.get is not None:
                    parts.add("shipments")
    if manifest.settings is not None:
        parts.add("settings")
    return frozenset(parts)


def build(spec: SystemSpec[RestSettings], gate: CallGate, **client: Any) -> RestSource:
    """The factory of the ``rest`` kind (connectors/registry.py)."""
    return connector_class(parts_of(spec.settings.manifest))(spec, gate, **client)
