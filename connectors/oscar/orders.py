"""Orders read from Oscar's admin API, in audit mode: Oscar offers no changed-since filter.

An order's external id is its Oscar number; listing pages are ordered by Oscar's order id
(the number at the end of its URL). Lines carry the SKU as ``partner_sku``, which needs
``OSCARAPI_ORDERLINE_FIELDS`` to include it (see scripts/realservers/oscar_project).
Orders are read-only in the admin API, so nothing is written back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from syncwright.connectors.base import ListQuery, Page
from syncwright.connectors.errors import PayloadError
from syncwright.connectors.model import Address, Customer, Order, OrderLine
from syncwright.connectors.oscar.api import OscarHttp, id_of, money, number, text

CENT = Decimal("0.01")


class OscarOrders:
    def __init__(self, http: OscarHttp, system: str) -> None:
        self.http = http
        self.system = system

    async def _index(self) -> list[tuple[int, dict[str, Any]]]:
        rows = await self.http.all("/api/admin/orders/", "order listing")
        keyed = [
            (id_of(text(row, "url", "order", self.system), "order", self.system), row)
            for row in rows
        ]
        return sorted(keyed, key=lambda item: item[0])

    async def list_orders(self, query: ListQuery) -> Page[Order]:
        after = int(query.after) if query.after and query.after.isdigit() else 0
        rows = [(oid, row) for oid, row in await self._index() if oid > after]
        page = rows[: query.limit]
        orders = [await self._order(row) for _, row in page]
        last = (str(page[-1][0]), str(page[-1][0])) if page else None
        return Page(orders, last, complete=len(rows) <= query.limit)

    async def get_order(self, external_id: str) -> Order | None:
        for _, row in await self._index():
            if row.get("number") == external_id:
                return await self._order(row)
        return None

    async def _order(self, row: dict[str, Any]) -> Order:
        number_ = text(row, "number", "order", self.system)
        what = f"order {number_}"
        lines_url = text(row, "lines", what, self.system)
        lines = [self._line(raw, what) for raw in await self.http.all(lines_url, f"{what} lines")]
        ship = row.get("shipping_address")
        address = self._address(ship) if isinstance(ship, dict) else None
        email = row.get("email")
        owner = row.get("owner")
        status = str(row.get("status") or "")
        return Order(
            external_id=number_,
            number=number_,
            customer=Customer(
                external_id=str(id_of(owner, what, self.system)) if isinstance(owner, str) else "",
                email=email if isinstance(email, str) and email else None,
                first_name=str(ship.get("first_name") or "") if isinstance(ship, dict) else "",
                last_name=str(ship.get("last_name") or "") if isinstance(ship, dict) else "",
                address=address,
            ),
            lines=tuple(lines),
            currency=text(row, "currency", what, self.system),
            total=money(row, "total_incl_tax", what, self.system),
            status="cancelled" if status.lower() in ("cancelled", "canceled") else "open",
            shipping_address=address,
        )

    def _line(self, raw: dict[str, Any], what: str) -> OrderLine:
        quantity = number(raw, "quantity", f"{what} line", self.system)
        if quantity <= 0:
            raise PayloadError(f"{what}: a line has quantity {quantity}", system=self.system)
        total = money(raw, "price_incl_tax", f"{what} line", self.system)
        sku = raw.get("partner_sku")
        return OrderLine(
            sku=sku if isinstance(sku, str) and sku else None,
            title=str(raw.get("title") or ""),
            quantity=quantity,
            unit_price=(total / quantity).quantize(CENT),
            external_id=str(
                id_of(text(raw, "url", f"{what} line", self.system), what, self.system)
            ),
        )

    def _address(self, raw: dict[str, Any]) -> Address:
        country = raw.get("country")
        code = ""
        if isinstance(country, str):
            code = country.rstrip("/").rsplit("/", 1)[-1][:2].upper()
        return Address(
            line1=str(raw.get("line1") or ""),
            line2=str(raw.get("line2") or ""),
            city=str(raw.get("line4") or ""),
            postcode=str(raw.get("postcode") or ""),
            country=code,
        )
