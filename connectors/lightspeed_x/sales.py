"""Customers, sales (posted orders), fulfilments and store settings in X-Series.

Orders become sales of the register named in settings, created with API 0.9's
``POST /api/register_sales`` (API 2.0 has no create-sale path). X-Series has no idempotency
header, so each sale's id is ours: a UUID derived from the channel reference (uuid5), looked
up with ``GET /sales/{id}`` before the create. A repeat create after a lost answer names the
same id, which X-Series treats as an update of that sale, never a second sale. The channel
reference is also the sale's ``invoice_number`` and sits in its note.

Customers are matched through ``/search?type=customers`` by e-mail and by customer code (the
account id); created with ``POST /customers``. A fulfilment is per sale (``POST
/sales/{id}/fulfill``, SHIPPED): the first shipment fulfils it, later ones find it fulfilled.
"""

from __future__ import annotations

import uuid
from typing import Any

from syncwright.connectors.base import AlreadyPosted, ChangeQuery, ListQuery, Page
from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.lightspeed_x import wire
from syncwright.connectors.lightspeed_x.catalog import Catalog, after_of
from syncwright.connectors.lightspeed_x.transport import Transport
from syncwright.connectors.model import Customer, Order, Product, Shipment, StoreSettings

#: Namespace of the sale ids we derive from channel references (fixed for ever: changing it
#: would make every posted order look new).
SALE_NAMESPACE = uuid.UUID("5f0c6f3e-8a51-4c1e-9a56-2f3b1e8d7c40")


def sale_id(channel_ref: str) -> str:
    return str(uuid.uuid5(SALE_NAMESPACE, channel_ref))


class Sales:
    def __init__(
        self, http: Transport, catalog: Catalog, register: str, status: str, page_size: int
    ) -> None:
        self.http = http
        self.catalog = catalog
        self.register_name = register
        self.status = status
        self.page_size = page_size
        self._register: str | None = None

    # customers
    async def changed_customers(self, query: ChangeQuery) -> Page[Customer]:
        got = await self.http.page("/customers", after_of(query), query.limit, deleted=True)
        if not got.rows:
            return Page([], None, complete=True)
        items = [wire.customer(r) for r in got.rows if not r.get("deleted_at")]
        return Page(items, (str(got.high), str(got.rows[-1]["id"])), complete=False)

    async def list_customers(self, query: ListQuery) -> Page[Customer]:
        got = await self.http.page("/customers", int(query.after or 0), query.limit)
        if not got.rows:
            return Page([], None, complete=True)
        return Page([wire.customer(r) for r in got.rows], ("", str(got.high)), complete=False)

    async def get_customer(self, external_id: str) -> Customer | None:
        row = await self.http.get_or_none(f"/customers/{external_id}")
        return None if row is None or row.get("deleted_at") else wire.customer(row)

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        found: dict[str, Customer] = {}
        if email:
            for r in await self._search(email=email.strip().lower()):
                found[str(r["id"])] = wire.customer(r)
        if account_id:
            for r in await self._search(customer_code=account_id):
                found[str(r["id"])] = wire.customer(r)
        return list(found.values())

    async def _search(self, **field: str) -> list[dict[str, Any]]:
        return await self.http.rows("/search", {"type": "customers", "page_size": 100, **field})

    async def create_customer(self, customer: Customer) -> str:
        body = await self.http.post("/customers", wire.customer_body(customer))
        return _id(body, "POST /customers")

    # orders
    async def find_order(self, channel_ref: str) -> str | None:
        sid = sale_id(channel_ref)
        return sid if await self.http.get_or_none(f"/sales/{sid}") is not None else None

    async def create_order(self, order: Order, *, customer_id: str, channel_ref: str) -> str:
        sid = sale_id(channel_ref)
        if await self.http.get_or_none(f"/sales/{sid}") is not None:
            raise AlreadyPosted(channel_ref, sid)
        await self._save(sid, order, customer_id, channel_ref)
        return sid

    async def amend_order(self, order_id: str, order: Order) -> None:
        sale = await self.http.get_or_none(f"/sales/{order_id}")
        if sale is None:
            raise PermanentError(f"sale {order_id} is not in X-Series", system=self.http.system)
        ref = str(sale.get("invoice_number") or order.external_id)
        # a sale fulfilled meanwhile keeps its status: only the lines change
        kept = str(sale.get("status") or self.status)
        await self._save(order_id, order, str(sale.get("customer_id") or ""), ref, kept)

    async def _save(
        self, sid: str, order: Order, customer_id: str, ref: str, status: str | None = None
    ) -> None:
        lines = []
        for line in order.lines:
            pid = await self._product_id(line.sku)
            lines.append(
                {
                    "product_id": pid,
                    "quantity": line.quantity,
                    "price": float(line.unit_price),
                    "tax": 0,
                }
            )
        body = {
            "id": sid,
            "register_id": await self._register_id(),
            "customer_id": customer_id or None,
            "status": "VOIDED" if order.status == "cancelled" else status or self.status,
            "invoice_number": ref,
            "note": f"{order.number or order.external_id} ({ref})",
            "register_sale_products": lines,
        }
        answer = await self.http.post("/api/register_sales", body, legacy=True)
        sale = answer.get("register_sale") if isinstance(answer, dict) else None
        if not isinstance(sale, dict) or str(sale.get("id")) != sid:
            raise PayloadError("POST /api/register_sales: no register_sale with our id")

    async def _product_id(self, sku: str | None) -> str:
        if not sku:
            raise PermanentError("an order line without a SKU cannot become a sale line")
        pid = self.catalog.by_sku.get(sku)
        if pid is None:
            rows = await self.http.rows("/products", {"sku": sku})
            self.catalog.learn(rows)
            pid = str(rows[0]["id"]) if rows else None
        if pid is None:
            raise PermanentError(f"SKU {sku} is not in X-Series", system=self.http.system)
        return pid

    async def _register_id(self) -> str:
        if self._register is None:
            rows = await self.http.rows("/registers", {"page_size": self.page_size})
            for r in rows:
                if r.get("name") == self.register_name and not r.get("deleted_at"):
                    self._register = str(r["id"])
            if self._register is None:
                raise PermanentError(
                    f"no register named {self.register_name!r} in X-Series: check"
                    " settings.sale_register",
                    system=self.http.system,
                )
        return self._register

    async def has_shipment(self, order_id: str, shipment_id: str) -> bool:
        return bool(await self.http.rows(f"/sales/{order_id}/fulfillments"))

    async def add_shipment(self, order_id: str, shipment: Shipment) -> None:
        await self.http.post(f"/sales/{order_id}/fulfill", {"fulfillment_type": "SHIPPED"})

    async def create_product(self, product: Product) -> str:
        body = await self.http.post("/products", wire.product_body(product))
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not data:
            raise PayloadError("POST /products: no ids in the answer")
        return str(data[0])

    async def get_settings(self) -> StoreSettings:
        row = await self.http.get_or_none("/retailer")
        currency = (row or {}).get("currency")
        code = currency.get("code") if isinstance(currency, dict) else None
        if not isinstance(code, str) or not code:
            raise PayloadError("GET /retailer: no currency code")
        return StoreSettings(currency=code, name=str((row or {}).get("name") or ""))


def _id(body: Any, what: str) -> str:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not data.get("id"):
        raise PayloadError(f"{what}: no id in the answer")
    return str(data["id"])
