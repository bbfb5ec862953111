"""Customers, sale orders, sale-time products and store settings in Tryton (the back-office
half that takes orders from a channel).

Customers are parties with an e-mail contact mechanism, looked up by that e-mail ignoring
case. Orders are ``sale.sale`` records of one ``web.shop`` with the channel's order reference
as ``web_id``: Tryton keeps ``(web_shop, web_id)`` unique in the database, so a second create
of the same order is refused there and reported as AlreadyPosted with the existing sale's id.
A create leaves a draft: ``advance_order`` takes it one workflow step at a time from the state
Tryton holds (the daemon drives it, so a crash between steps resumes where Tryton stands).

Creates run one at a time per connector: Tryton numbers parties and sales from sequences,
and on a SQLite-backed Tryton two concurrent creates can draw the same number and one is
refused ("The code on party must be unique"), which is no fault of the record.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anyio

from syncwright.connectors.base import AlreadyPosted
from syncwright.connectors.errors import FixableError, PayloadError, PermanentError
from syncwright.connectors.model import Address, Customer, Order, Product, Shipment, StoreSettings
from syncwright.connectors.tryton.rpc import TrytonRpc, TrytonUserError

#: States in which Tryton lets a sale's lines be rewritten (or the sale be cancelled).
EDITABLE = ("draft", "quotation")
#: The workflow a posted sale goes through (``confirm_orders``): state -> the next step.
#: "processing", "done" and "cancelled" need none.
NEXT_STEP = {"draft": "quote", "quotation": "confirm", "confirmed": "process"}


def _like(value: str) -> str:
    """An exact ``ilike`` pattern: the wildcards in e-mail addresses are escaped."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _unsellable(row: dict[str, Any]) -> str | None:
    """Why a product row (with its template's flags) cannot be sold now, if it cannot: states
    a person may change back in Tryton."""
    template = row.get("template.") or {}
    if not row.get("active", True):
        return "inactive"
    if not template.get("active", True):
        return "inactive (its template is)"
    if not template.get("salable", True):
        return "not salable (its template is not)"
    return None


def _split(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first, last


class Sales:
    def __init__(self, rpc: TrytonRpc, system: str, web_shop: str, confirm: bool) -> None:
        self.rpc = rpc
        self.system = system
        self.web_shop_name = web_shop
        self.confirm = confirm
        self._shop: dict[str, Any] | None = None
        self._writes = anyio.Lock()

    async def shop(self) -> dict[str, Any]:
        """The configured ``web.shop``: its id, warehouse and currency."""
        if self._shop is None:
            rows = await self.rpc.model(
                "web.shop",
                "search_read",
                [["name", "=", self.web_shop_name]],
                0,
                2,
                None,
                ["warehouses", "currency", "company"],
            )
            if len(rows) != 1:
                raise PermanentError(
                    f"Tryton has {len(rows)} web shops named {self.web_shop_name!r}; "
                    "create exactly one (Sales > Web Shops) and name it in settings.web_shop",
                    system=self.system,
                )
            if not rows[0].get("warehouses"):
                raise PermanentError(
                    f"Tryton web shop {self.web_shop_name!r} has no warehouse", system=self.system
                )
            self._shop = rows[0]
        return self._shop

    # -- customers --------------------------------------------------------------------------

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        domain: list[Any] = []
        if email:
            domain.append(
                [
                    "contact_mechanisms",
                    "where",
                    [["type", "=", "email"], ["value", "ilike", _like(email.strip())]],
                ]
            )
        if account_id:
            domain.append(["code", "=", account_id])
        if not domain:
            return []
        if len(domain) == 2:
            domain = ["OR", *domain]
        rows = await self.rpc.model(
            "party.party",
            "search_read",
            domain,
            0,
            50,
            [["id", "ASC"]],
            ["name", "code", "email"],
        )
        return [self._customer(row) for row in rows]

    async def create_customer(self, customer: Customer) -> str:
        async with self._writes:
            return await self._create_customer(customer)

    async def create_order(self, order: Order, *, customer_id: str, channel_ref: str) -> str:
        async with self._writes:
            return await self._create_order(order, customer_id=customer_id, channel_ref=channel_ref)

    async def amend_order(self, order_id: str, order: Order) -> None:
        async with self._writes:
            await self._amend_order(order_id, order)

    async def create_product(self, product: Product) -> str:
        async with self._writes:
            return await self._create_product(product)

    async def get_customer(self, external_id: str) -> Customer | None:
        if not external_id.isdigit():
            return None
        rows = await self.rpc.model(
            "party.party", "read", [int(external_id)], ["name", "code", "email"]
        )
        return self._customer(rows[0]) if rows else None

    def _customer(self, row: dict[str, Any]) -> Customer:
        first, last = _split(str(row.get("name") or ""))
        email = row.get("email")
        return Customer(
            external_id=str(row["id"]),
            email=email if isinstance(email, str) and email else None,
            first_name=first,
            last_name=last,
            accounting_id=row.get("code") or None,
        )

    async def _create_customer(self, customer: Customer) -> str:
        name = " ".join(p for p in (customer.first_name, customer.last_name) if p)
        vals: dict[str, Any] = {"name": name or customer.company or customer.email or "Customer"}
        if customer.email:
            vals["contact_mechanisms"] = [
                ["create", [{"type": "email", "value": customer.email.strip()}]]
            ]
        if customer.address is not None:
            vals["addresses"] = [["create", [self._address(customer.address)]]]
        (party,) = await self.rpc.model("party.party", "create", [vals])
        return str(party)

    def _address(self, address: Address) -> dict[str, Any]:
        street = "\n".join(p for p in (address.line1, address.line2) if p)
        return {"street": street, "postal_code": address.postcode, "city": address.city}

    # -- orders -----------------------------------------------------------------------------

    async def find_order(self, channel_ref: str) -> str | None:
        shop = await self.shop()
        ids = await self.rpc.model(
            "sale.sale",
            "search",
            [["web_shop", "=", shop["id"]], ["web_id", "=", channel_ref]],
            0,
            1,
            None,
            active_test=False,
        )
        return str(ids[0]) if ids else None

    async def _create_order(self, order: Order, *, customer_id: str, channel_ref: str) -> str:
        if not customer_id.isdigit():
            raise PermanentError(
                f"customer id {customer_id!r} is not a Tryton party id", system=self.system
            )
        shop = await self.shop()
        party = int(customer_id)
        address = await self._party_address(party, order)
        vals = {
            "company": shop["company"],
            "party": party,
            "currency": shop["currency"],
            "warehouse": shop["warehouses"][0],
            "invoice_address": address,
            "shipment_address": address,
            "web_shop": shop["id"],
            "web_id": channel_ref,
            "reference": order.number or order.external_id,
            "description": f"web order {order.number or order.external_id}",
            "invoice_method": "manual",
            "lines": [["create", await self._lines(order)]],
        }
        try:
            (sale,) = await self.rpc.model("sale.sale", "create", [vals])
        except TrytonUserError:
            existing = await self.find_order(channel_ref)
            if existing is not None:
                raise AlreadyPosted(channel_ref, existing) from None
            raise
        return str(sale)

    async def advance_order(self, order_id: str) -> str | None:
        """One step of the sale's workflow from the state Tryton holds (quote a draft,
        confirm a quotation, process a confirmed sale); None when no step is left, or when
        the connector leaves sales as drafts (``confirm_orders = false``)."""
        if not self.confirm:
            return None
        sale_id = int(order_id) if order_id.isdigit() else -1
        rows = await self.rpc.model("sale.sale", "read", [sale_id], ["state"])
        if not rows:
            raise PermanentError(f"Tryton has no sale {order_id}", system=self.system)
        step = NEXT_STEP.get(str(rows[0].get("state")))
        if step is None:
            return None
        async with self._writes:
            await self.rpc.model("sale.sale", step, [sale_id])
        return step

    async def _party_address(self, party: int, order: Order) -> int:
        ids = await self.rpc.model(
            "party.address", "search", [["party", "=", party]], 0, 1, [["id", "ASC"]]
        )
        if ids:
            return int(ids[0])
        given = order.shipping_address or order.customer.address or Address()
        (created,) = await self.rpc.model(
            "party.address", "create", [{"party": party, **self._address(given)}]
        )
        return int(created)

    async def _lines(self, order: Order) -> list[dict[str, Any]]:
        skus = sorted({line.sku for line in order.lines if line.sku})
        rows = await self.rpc.model(
            "product.product",
            "search_read",
            [["code", "in", skus]],
            0,
            None,
            [["id", "ASC"]],
            ["code", "sale_uom", "active", "template.active", "template.salable"],
            active_test=False,
        )
        found: dict[str, dict[str, Any]] = {}
        for row in rows:  # a code held by a sellable product and an inactive one: the first
            if row["code"] not in found or _unsellable(found[row["code"]]):
                found[row["code"]] = row
        lines = []
        for number, line in enumerate(order.lines, 1):
            product = found.get(line.sku or "")
            what = f"order {order.external_id}: line {number} SKU {line.sku!r}"
            if product is None:
                raise PermanentError(f"{what} is not a Tryton product code", system=self.system)
            state = _unsellable(product)
            if state is not None:
                raise FixableError(
                    f"{what} is Tryton product {product['id']}, which is {state}; the order is "
                    "posted at a later retry once it is sellable again in Tryton",
                    system=self.system,
                )
            lines.append(
                {
                    "type": "line",
                    "product": product["id"],
                    "quantity": float(line.quantity),
                    "unit": product["sale_uom"],
                    "unit_price": line.unit_price,
                    "description": line.title or line.sku,
                }
            )
        return lines

    async def _amend_order(self, order_id: str, order: Order) -> None:
        """Rewrite a draft or quotation sale's lines (or cancel it). A sale that already holds
        what the order says is left alone; Tryton allows no changes to a confirmed sale's
        lines, so other amendments of one are refused with a PermanentError."""
        sale_id = int(order_id) if order_id.isdigit() else -1
        rows = await self.rpc.model("sale.sale", "read", [sale_id], ["state", "lines"])
        if not rows:
            raise PermanentError(f"Tryton has no sale {order_id}", system=self.system)
        state = rows[0].get("state")
        cancelled = order.status == "cancelled"
        if (state == "cancelled") == cancelled and await self._holds(rows[0], order):
            return
        if state not in EDITABLE:
            raise PermanentError(
                f"sale {order_id} is {state} in Tryton, which allows no amendment; "
                "change it there by hand",
                system=self.system,
            )
        if state == "quotation":
            await self.rpc.model("sale.sale", "draft", [sale_id])
        if order.status == "cancelled":
            await self.rpc.model("sale.sale", "cancel", [sale_id])
            return
        await self.rpc.model(
            "sale.sale",
            "write",
            [sale_id],
            {
                "lines": [
                    ["delete", rows[0].get("lines") or []],
                    ["create", await self._lines(order)],
                ],
            },
        )
        # Left as a draft: the daemon takes it through the workflow (advance_order).

    async def _holds(self, sale: dict[str, Any], order: Order) -> bool:
        """Whether the sale's lines are the order's: same SKUs, quantities and unit prices."""
        held = await self.rpc.model(
            "sale.line",
            "read",
            list(sale.get("lines") or []),
            ["product.code", "quantity", "unit_price", "type"],
        )
        have = sorted(
            (
                str((row.get("product.") or {}).get("code")),
                float(row.get("quantity") or 0),
                Decimal(row.get("unit_price") or 0).quantize(Decimal("0.01")),
            )
            for row in held
            if row.get("type") == "line"
        )
        want = sorted(
            (str(line.sku), float(line.quantity), line.unit_price.quantize(Decimal("0.01")))
            for line in order.lines
        )
        return have == want

    async def has_shipment(self, order_id: str, shipment_id: str) -> bool:
        """Tryton records no channel shipments (it ships its own sales): never."""
        return False

    async def add_shipment(self, order_id: str, shipment: Shipment) -> None:
        raise PermanentError(
            "shipments from the channel are not recorded in Tryton: Tryton ships its own sales",
            system=self.system,
        )

    async def _create_product(self, product: Product) -> str:
        """A goods template with one variant per SKU, salable, in the default unit."""
        units = await self.rpc.model("product.uom", "search", [["symbol", "=", "u"]], 0, 1, None)
        if not units:
            raise PermanentError("Tryton has no unit with symbol 'u'", system=self.system)
        price = next((v.price for v in product.variants if v.price is not None), None)
        vals = {
            "name": product.title,
            "type": "goods",
            "default_uom": units[0],
            "sale_uom": units[0],
            "salable": True,
            "list_price": price if price is not None else Decimal("0"),
            "products": [["create", [{"suffix_code": v.sku} for v in product.variants if v.sku]]],
        }
        (template,) = await self.rpc.model("product.template", "create", [vals])
        shop = await self.shop()
        variants = await self.rpc.model(
            "product.product", "search", [["template", "=", template]], 0, None, None
        )
        await self.rpc.model("web.shop", "write", [shop["id"]], {"products": [["add", variants]]})
        return str(template)

    # -- settings ---------------------------------------------------------------------------

    async def get_settings(self) -> StoreSettings:
        await self.rpc.ensure_session()
        company = self.rpc.context.get("company")
        rows = await self.rpc.model(
            "company.company", "read", [company], ["currency.code", "party.name"]
        )
        if not rows:
            raise PayloadError(f"Tryton has no company {company}", system=self.system)
        currency = (rows[0].get("currency.") or {}).get("code")
        name = (rows[0].get("party.") or {}).get("name") or ""
        if not isinstance(currency, str):
            raise PayloadError("the Tryton company has no currency code", system=self.system)
        return StoreSettings(currency=currency, name=str(name))
