"""Customers, sales orders, products created at sale time, and company settings.

- Customers: ``/Customers``. Unleashed filters customers by code (a prefix) and by name, not
  by e-mail, so an e-mail look-up reads the customer list: the first one whole, then only what
  changed since (``modifiedSince``), kept as an index in memory. Two customers with the same
  e-mail are both returned (the caller refuses to guess).
- Orders: ``POST /SalesOrders/{guid}``, the GUID derived from the namespace and the channel's
  order reference, so a retried create names the same order and can never add a second; the
  create first reads that GUID and raises AlreadyPosted when it exists (a POST there would
  update it). ``SourceId`` holds the channel reference and ``find_order`` asks by it
  (``sourceId`` overrides every other filter; deleted orders are asked for too).
- Amendments: ``PUT /SalesOrders/{guid}`` while the order is Parked or Placed; a completed or
  deleted order is not changed again (a permanent error names it in the sync log).
- Shipments: a shipment that covers every line completes the order
  (``POST /SalesOrders/{guid}/Complete``); a partial shipment is recorded and skipped, since
  Unleashed's own shipment documents are made in Unleashed.
- Settings: the base currency from ``/Companies``.
"""

from __future__ import annotations

from typing import Any

from syncwright.connectors.base import AlreadyPosted, ChangeQuery, ListQuery, Page
from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.model import Customer, Order, Product, Shipment, StoreSettings
from syncwright.connectors.unleashed import paging, wire
from syncwright.connectors.unleashed.catalog import Catalog
from syncwright.connectors.unleashed.client import UnleashedClient
from syncwright.connectors.unleashed.settings import UnleashedSettings

CUSTOMERS = {"includeObsolete": "false"}
EDITABLE = frozenset({"Parked", "Placed", "Backordered"})


class Sales:
    def __init__(
        self, client: UnleashedClient, settings: UnleashedSettings, catalog: Catalog
    ) -> None:
        self.client = client
        self.system = client.system
        self.settings = settings
        self.catalog = catalog
        self._emails: dict[str, dict[str, Customer]] = {}
        self._indexed: str | None = None  # the change token the e-mail index is complete to

    def _size(self, limit: int) -> int:
        return max(1, min(limit, self.settings.page_size))

    # -- customers --------------------------------------------------------------------------

    def _customer_key(self, row: dict[str, Any]) -> paging.Key:
        stamp = wire.stamp_of(row, "a customer", self.system)
        return (wire.to_token(stamp), wire.guid_of(row, "a customer", self.system))

    async def changed_customers(self, query: ChangeQuery) -> Page[Customer]:
        batch = await paging.changed(
            self.client, "Customers", CUSTOMERS, query, self._customer_key, self._size(query.limit)
        )
        items = [wire.customer_from(row, self.system) for _, row in batch.rows]
        last = batch.rows[-1][0] if batch.rows else None
        return Page(items, last, batch.complete, batch.next_key)

    async def list_customers(self, query: ListQuery) -> Page[Customer]:
        number, size = paging.listing_position(query.after, self._size(query.limit))
        page = await self.client.page(
            "Customers", number, {**CUSTOMERS, "orderBy": "CreatedOn", "pageSize": size}
        )
        items = [wire.customer_from(row, self.system) for row in page.items]
        last = ("", items[-1].external_id) if items else None
        return Page(items, last, page.last, paging.listing_key(number + 1, size))

    async def get_customer(self, external_id: str) -> Customer | None:
        row = await self.client.get_one(f"/Customers/{external_id}")
        return None if row is None else wire.customer_from(row, self.system)

    async def _refresh_index(self) -> None:
        query = ChangeQuery(self._indexed, None, self.settings.page_size)
        while True:
            page = await self.changed_customers(query)
            for customer in page.items:
                for by_guid in self._emails.values():
                    by_guid.pop(customer.external_id, None)
                if customer.email:
                    self._emails.setdefault(customer.email.lower(), {})[customer.external_id] = (
                        customer
                    )
                if customer.modified_at is not None:
                    token = wire.to_token(customer.modified_at)
                    self._indexed = max(self._indexed or token, token)
            if page.complete:
                return
            query = ChangeQuery(query.since, page.resume_key, query.limit)

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        found: dict[str, Customer] = {}
        if account_id:
            page = await self.client.page(
                "Customers", 1, {"customerCode": account_id, "pageSize": 1000}
            )
            for row in page.items:
                if wire.text(row, "CustomerCode") == account_id:
                    customer = wire.customer_from(row, self.system)
                    found[customer.external_id] = customer
        if email:
            await self._refresh_index()
            found.update(self._emails.get(email.strip().lower(), {}))
        return list(found.values())

    async def create_customer(self, customer: Customer) -> str:
        """A new customer under a GUID derived from the channel's customer id, so a retried
        create updates the same customer; its code is the channel's account id when it has
        one, else one made from the GUID."""
        # The channel's id when it gives one, else the e-mail: two new customers never share.
        basis = customer.external_id or f"email:{(customer.email or '').lower()}"
        guid = wire.derived_guid(self.settings.guid_namespace, "customer", basis)
        code = customer.accounting_id or ("SW-" + guid[:8].upper())
        await self.client.request(
            "POST", f"/Customers/{guid}", json_body=wire.customer_body(customer, guid, code)
        )
        return guid

    # -- orders -----------------------------------------------------------------------------

    def order_guid(self, channel_ref: str) -> str:
        return wire.derived_guid(self.settings.guid_namespace, "order", channel_ref)

    async def find_order(self, channel_ref: str) -> str | None:
        page = await self.client.page(
            "SalesOrders",
            1,
            {"sourceId": channel_ref, "orderStatus": "Parked,Placed,Backordered,Completed,Deleted"},
        )
        for row in page.items:
            if wire.text(row, "SourceId") == channel_ref:
                return wire.guid_of(row, "a sales order", self.system)
        return None

    async def _order_body(self, order: Order, guid: str, customer_id: str) -> dict[str, Any]:
        lines = []
        for number, line in enumerate(order.lines, start=1):
            if not line.sku:
                raise PermanentError(f"order line {number} has no SKU", system=self.system)
            product_guid = self.catalog.guids.get(line.sku)
            if product_guid is None:
                product = await self.catalog.get_product(line.sku)
                if product is None:
                    raise PermanentError(
                        f"order line {number}: Unleashed has no product {line.sku}",
                        system=self.system,
                    )
                product_guid = product.external_id
            lines.append(
                {
                    "Guid": wire.derived_guid(guid, "line", str(number)),
                    "LineNumber": number,
                    "Product": {"Guid": product_guid, "ProductCode": line.sku},
                    "OrderQuantity": line.quantity,
                    "UnitPrice": float(line.unit_price),
                    "LineTotal": float(line.unit_price * line.quantity),
                }
            )
        body: dict[str, Any] = {
            "Guid": guid,
            "OrderStatus": self.settings.order_status,
            "Customer": {"Guid": customer_id},
            "SourceId": order.external_id,
            "CustomerRef": order.number or order.external_id,
            "Currency": {"CurrencyCode": order.currency},
            "SalesOrderLines": lines,
            "Total": float(order.total),
        }
        if order.created_at is not None:
            body["OrderDate"] = wire.format_date(order.created_at)
        if self.settings.order_warehouse:
            body["Warehouse"] = {"WarehouseCode": self.settings.order_warehouse}
        return body

    async def create_order(self, order: Order, *, customer_id: str, channel_ref: str) -> str:
        guid = self.order_guid(channel_ref)
        # A POST to a GUID that exists updates that order: look first, so a create repeated
        # after its answer was lost never rewrites an order staff may have changed since.
        existing = await self.client.get_one(f"/SalesOrders/{guid}")
        if existing is not None:
            raise AlreadyPosted(channel_ref, guid)
        body = await self._order_body(
            order.model_copy(update={"external_id": channel_ref}), guid, customer_id
        )
        try:
            await self.client.request("POST", f"/SalesOrders/{guid}", json_body=body)
        except PermanentError:
            existing = await self.client.get_one(f"/SalesOrders/{guid}")
            if existing is not None:
                raise AlreadyPosted(channel_ref, guid) from None
            raise
        return guid

    async def _status(self, order_id: str) -> dict[str, Any]:
        row = await self.client.get_one(f"/SalesOrders/{order_id}")
        if row is None:
            raise PermanentError(f"Unleashed has no sales order {order_id}", system=self.system)
        return row

    async def amend_order(self, order_id: str, order: Order) -> None:
        row = await self._status(order_id)
        status = wire.text(row, "OrderStatus")
        if status not in EDITABLE:
            raise PermanentError(
                f"sales order {wire.text(row, 'OrderNumber') or order_id} is {status} in"
                " Unleashed, which allows no more changes; the amendment was not applied",
                system=self.system,
            )
        customer = row.get("Customer")
        customer_id = customer.get("Guid") if isinstance(customer, dict) else None
        if not isinstance(customer_id, str):
            raise PayloadError(f"sales order {order_id} has no customer", system=self.system)
        body = await self._order_body(order, order_id, customer_id)
        # The channel reference it was posted under stays (find_order asks by it).
        body["SourceId"] = row.get("SourceId") or body["SourceId"]
        body["OrderStatus"] = status
        await self.client.request("PUT", f"/SalesOrders/{order_id}", json_body=body)

    async def add_shipment(self, order_id: str, shipment: Shipment) -> None:
        row = await self._status(order_id)
        if wire.text(row, "OrderStatus") in ("Completed", "Deleted"):
            return
        ordered: dict[str, int] = {}
        for line in row.get("SalesOrderLines") or []:
            product = line.get("Product") if isinstance(line, dict) else None
            code = wire.text(product, "ProductCode") if isinstance(product, dict) else ""
            ordered[code] = ordered.get(code, 0) + int(line.get("OrderQuantity") or 0)
        shipped: dict[str, int] = {}
        for sku, quantity in shipment.lines:
            shipped[sku] = shipped.get(sku, 0) + quantity
        if shipment.lines and any(shipped.get(code, 0) < q for code, q in ordered.items()):
            return  # a partial shipment: recorded by the daemon, not sent
        await self.client.request("POST", f"/SalesOrders/{order_id}/Complete", json_body={})

    async def has_shipment(self, order_id: str, shipment_id: str) -> bool:
        row = await self._status(order_id)
        return wire.text(row, "OrderStatus") == "Completed"

    async def create_product(self, product: Product) -> str:
        sku = product.variants[0].sku if product.variants else None
        guid = wire.derived_guid(self.settings.guid_namespace, "product", sku or product.handle)
        await self.client.request(
            "POST", f"/Products/{guid}", json_body=wire.product_body(product, guid)
        )
        if sku:
            self.catalog.guids[sku] = guid
        return guid

    async def get_settings(self) -> StoreSettings:
        body = await self.client.request("GET", "/Companies")
        items = body.get("Items") if isinstance(body, dict) else None
        company = items[0] if isinstance(items, list) and items else None
        currency = company.get("BaseCurrency") if isinstance(company, dict) else None
        code = currency.get("CurrencyCode") if isinstance(currency, dict) else None
        if not isinstance(code, str) or not code:
            raise PayloadError("/Companies gives no base currency", system=self.system)
        assert isinstance(company, dict)
        return StoreSettings(currency=code, name=wire.text(company, "CompanyName"))
