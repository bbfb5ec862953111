"""The sandbox back office's connector: a source of products, stock, customers and settings,
and the target of orders (with amendments, shipments and sale-time products).

Change pages are keyed ``(modified_at, id)`` as the back office sends them; a listing's key
carries the id in the same place, so ``ListQuery(after=page.last_key[1])`` asks for the next.
The next page follows the page's ``next`` object, not its last item: the back office may answer
a page with few items or none and still have more (``Page.next_key``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from syncwright.connectors.base import AlreadyPosted, Capabilities, ChangeQuery, ListQuery, Page
from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import (
    Customer,
    Order,
    Product,
    Shipment,
    StockLevel,
    StoreSettings,
)
from syncwright.connectors.sandbox.clients.base import LOOKUP_CHUNK, ConflictError, SandboxClient
from syncwright.connectors.sandbox.wire import pages
from syncwright.connectors.sandbox.wire import sales as wire_sales
from syncwright.connectors.sandbox.wire.products import (
    Obj,
    erp_product,
    erp_stock,
    next_key,
    page_body,
)

R = TypeVar("R")


class SandboxErp(SandboxClient):
    """The sandbox back office: changes by (modified_at, id), listings by id."""

    capabilities = Capabilities(cursor="time", max_page_size=1000, price_list_name="Sandbox Price")

    # -- products and stock (SourceConnector) ----------------------------------------------

    async def changed_products(self, query: ChangeQuery) -> Page[Product]:
        return await self._page(
            "/api/products/changes", "product changes", erp_product, query, pages.erp_products
        )

    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]:
        return await self._page(
            "/api/stock/changes", "stock changes", erp_stock, query, pages.erp_stock
        )

    async def list_products(self, query: ListQuery) -> Page[Product]:
        return await self._page(
            "/api/products", "product listing", erp_product, query, pages.erp_products
        )

    async def list_stock(self, query: ListQuery) -> Page[StockLevel]:
        return await self._page("/api/stock", "stock listing", erp_stock, query, pages.erp_stock)

    async def list_product_ids(self, query: ListQuery) -> Page[str]:
        """ProductIdLister: the live catalogue's ids, following the server's ``next``."""
        limit = min(query.limit, self.capabilities.max_page_size)
        body = await self._get("/api/products/ids", after_id=query.after, limit=limit)
        items, after = page_body(body, "product ids", self.name)
        ids = [str(item) for item in items]
        last = ("", ids[-1]) if ids else None
        if after is None:
            return Page(ids, last, complete=True)
        return Page(ids, last, complete=False, next_key=("", str(after.integer("after_id"))))

    async def get_product(self, id_or_sku: str) -> Product | None:
        """By id when it is all digits (falling back to SKU), else by SKU; None if unknown."""
        paths = [f"/api/products/{id_or_sku}"] if id_or_sku.isdigit() else []
        paths.append(f"/api/products/by-sku/{quote(id_or_sku, safe='')}")
        for path in paths:
            body = await self._get_or_none(path)
            if body is not None:
                return erp_product(body, self.name)[0]
        return None

    async def get_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        levels: list[StockLevel] = []
        for part in self._chunks(skus, LOOKUP_CHUNK):
            body = await self._get("/api/stock/by-sku", skus=self._joined(part, "SKU"))
            levels += [
                erp_stock(item, self.name)[0]
                for item in Obj(body, "stock lookup", self.name).array("items")
            ]
        return levels

    # -- customers (CustomerSource, CustomerDirectory) -------------------------------------

    async def changed_customers(self, query: ChangeQuery) -> Page[Customer]:
        return await self._page(
            "/api/customers/changes", "customer changes", wire_sales.erp_customer, query
        )

    async def list_customers(self, query: ListQuery) -> Page[Customer]:
        return await self._page(
            "/api/customers", "customer listing", wire_sales.erp_customer, query
        )

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        """Every match by e-mail (ignoring case) or accounting id; several mean ambiguity."""
        if not email and not account_id:
            return []
        body = await self._get("/api/customers/search", email=email, account_id=account_id)
        items, _ = page_body(body, "customer search", self.name)
        return [wire_sales.erp_customer(item, self.name)[0] for item in items]

    async def create_customer(self, customer: Customer) -> str:
        parent = customer.parent_external_id
        body = wire_sales.customer_body(
            customer,
            None if parent is None else wire_sales.numeric_id(parent, "parent customer", self.name),
        )
        created = await self.http.request("POST", "/api/customers", json_body=body)
        return str(Obj(created, "created customer", self.name).integer("id"))

    # -- orders and sale-time products (OrderTarget) ---------------------------------------

    async def find_order(self, channel_ref: str) -> str | None:
        body = await self._get_or_none(f"/api/orders/by-ref/{quote(channel_ref, safe='')}")
        return None if body is None else str(Obj(body, "order", self.name).integer("id"))

    async def create_order(self, order: Order, *, customer_id: str, channel_ref: str) -> str:
        """Post an order; raises AlreadyPosted (with the existing id) if the ref is known."""
        body = {
            **wire_sales.order_body(order),
            "channel_ref": channel_ref,
            "customer_id": wire_sales.numeric_id(customer_id, "customer", self.name),
        }
        try:
            created = await self.http.request("POST", "/api/orders", json_body=body)
        except ConflictError as exc:
            if exc.existing_id is None:
                raise PayloadError(
                    f"order {channel_ref} was refused as a duplicate without the existing id",
                    system=self.name,
                    status=exc.status,
                ) from None
            raise AlreadyPosted(channel_ref, exc.existing_id) from None
        return str(Obj(created, "created order", self.name).integer("id"))

    async def amend_order(self, order_id: str, order: Order) -> None:
        number = wire_sales.numeric_id(order_id, "order", self.name)
        await self.http.request(
            "PUT", f"/api/orders/{number}", json_body=wire_sales.order_body(order)
        )

    async def add_shipment(self, order_id: str, shipment: Shipment) -> None:
        """Record a shipment; posting the same shipment (by external id) again is harmless."""
        number = wire_sales.numeric_id(order_id, "order", self.name)
        await self.http.request(
            "POST",
            f"/api/orders/{number}/shipments",
            json_body=wire_sales.shipment_body(shipment),
        )

    async def has_shipment(self, order_id: str, shipment_id: str) -> bool:
        """Whether the order holds a shipment with this channel id (ShipmentLookup)."""
        number = wire_sales.numeric_id(order_id, "order", self.name)
        body = await self._get_or_none(f"/api/orders/{number}")
        if body is None:
            return False
        shipments = Obj(body, "order", self.name).array("shipments")
        return any(
            isinstance(raw, dict) and raw.get("external_id") == shipment_id for raw in shipments
        )

    async def create_product(self, product: Product) -> str:
        """Create a product; a SKU another product holds raises ConflictError (permanent)."""
        created = await self.http.request(
            "POST", "/api/products", json_body=wire_sales.product_body(product)
        )
        return str(Obj(created, "created product", self.name).integer("id"))

    # -- settings (SettingsSource) ---------------------------------------------------------

    async def get_settings(self) -> StoreSettings:
        return wire_sales.settings(await self._get("/api/settings"), self.name)

    # -- its own orders (OrderSource: order history for a channel that keeps it) -----------

    async def changed_orders(self, query: ChangeQuery) -> Page[Order]:
        """No change feed for orders: the whole book by id (``order_cursor`` "none")."""
        return await self.list_orders(
            ListQuery(after=query.after[1] if query.after else None, limit=query.limit)
        )

    async def list_orders(self, query: ListQuery) -> Page[Order]:
        return await self._page("/api/orders", "order listing", wire_sales.erp_order, query)

    async def get_order(self, external_id: str) -> Order | None:
        if not external_id.isdigit():
            return None
        body = await self._get_or_none(f"/api/orders/{external_id}")
        return None if body is None else wire_sales.erp_order(body, self.name)[0]

    # -- helpers ---------------------------------------------------------------------------

    async def _page(
        self,
        path: str,
        what: str,
        mapper: Callable[[Any, str | None], tuple[R, str, int]],
        query: ChangeQuery | ListQuery,
        whole: Callable[[bytes], pages.Fitted[R] | None] | None = None,
    ) -> Page[R]:
        """One page, mapped item by item by ``mapper``; or, when ``whole`` reads the page's
        bytes at once (None: the page does not fit it), by that."""
        max_page = self.capabilities.max_page_size
        if isinstance(query, ChangeQuery):
            params = self._change_params(query, max_page)
        else:
            params = {"after_id": query.after, "limit": min(query.limit, max_page)}
        response = await self.http.get_response(path, params=params)
        fitted = None if whole is None else whole(response.content)
        if fitted is None:
            body = self.http.decode("GET", path, response)
            items, after = page_body(body, what, self.name)
            fitted = (
                [mapper(item, self.name) for item in items],
                None if after is None else after.data,
            )
        mapped, follow = fitted
        last = (mapped[-1][1], str(mapped[-1][2])) if mapped else None
        records = [record for record, _, _ in mapped]
        if follow is None:
            return Page(records, last, complete=True)
        return Page(records, last, complete=False, next_key=next_key(follow, what, self.name))
