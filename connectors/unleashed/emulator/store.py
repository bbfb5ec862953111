"""The emulator's data: products, warehouses, stock on hand, customers, sales orders, company.

Records are kept as Unleashed's JSON objects (PascalCase keys) with ``LastModifiedOn`` as an
aware datetime until they are answered (app.py turns it into ``/Date(ms)/``). The clock is
injected: tests move it to cross a month and reset the quota.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

Row = dict[str, Any]
EDITABLE = frozenset({"Parked", "Placed", "Backordered"})


class Refused(Exception):
    """A write Unleashed refuses: answered 400 with ``Description``."""


class Store:
    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.products: dict[str, Row] = {}
        self.warehouses: dict[str, Row] = {}
        self.stock: dict[tuple[str, str], Row] = {}  # (product guid, warehouse code)
        self.customers: dict[str, Row] = {}
        self.orders: dict[str, Row] = {}
        self.company: Row = {"CompanyName": "Emulated Ltd", "BaseCurrency": {"CurrencyCode": "NZD"}}
        self.emit: Callable[[str, Row], None] = lambda event, row: None
        self._serial = 0

    def now(self) -> datetime:
        # Milliseconds, as Unleashed's /Date(ms)/ carries.
        now = self.clock()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    # -- products ---------------------------------------------------------------------------

    def product_by_code(self, code: str) -> Row | None:
        for row in self.products.values():
            if row["ProductCode"] == code:
                return row
        return None

    def upsert_product(self, guid: str, data: Row) -> Row:
        guid = guid.lower()
        code = str(data.get("ProductCode") or "").strip()
        if not code:
            raise Refused("ProductCode is required")
        other = self.product_by_code(code)
        if other is not None and other["Guid"] != guid:
            raise Refused(f"Product code '{code}' already exists")
        now = self.now()
        row = self.products.get(guid)
        created = row is None
        if row is None:
            row = {"Guid": guid, "Obsolete": False, "CreatedOn": now, "IsSellable": True}
            self.products[guid] = row
        for key in (
            "ProductCode",
            "ProductDescription",
            "DefaultSellPrice",
            "Weight",
            "ImageUrl",
            "ProductGroup",
            "IsSellable",
            "Obsolete",
        ):
            if key in data:
                row[key] = data[key]
        row["LastModifiedOn"] = now
        self.emit("product.created" if created else "product.updated", row)
        return row

    def obsolete_product(self, guid: str) -> Row:
        row = self.products[guid.lower()]
        row["Obsolete"] = True
        row["LastModifiedOn"] = self.now()
        self.emit("product.updated", row)
        return row

    # -- warehouses and stock ---------------------------------------------------------------

    def add_warehouse(self, code: str, name: str) -> Row:
        row = {
            "Guid": str(uuid.uuid4()),
            "WarehouseCode": code,
            "WarehouseName": name,
            "Obsolete": False,
            "LastModifiedOn": self.now(),
        }
        self.warehouses[code] = row
        return row

    def set_stock(self, code: str, warehouse: str, on_hand: Decimal, allocated: Decimal) -> Row:
        product = self.product_by_code(code)
        if product is None or warehouse not in self.warehouses:
            raise KeyError(f"no product {code} or warehouse {warehouse}")
        wh = self.warehouses[warehouse]
        row = {
            "ProductGuid": product["Guid"],
            "ProductCode": code,
            "ProductDescription": product.get("ProductDescription", ""),
            "Warehouse": wh["WarehouseName"],
            "WarehouseCode": warehouse,
            "WarehouseId": wh["Guid"],
            "QtyOnHand": on_hand,
            "AllocatedQty": allocated,
            "AvailableQty": on_hand - allocated,
            "LastModifiedOn": self.now(),
        }
        self.stock[(product["Guid"], warehouse)] = row
        return row

    # -- customers --------------------------------------------------------------------------

    def upsert_customer(self, guid: str, data: Row) -> Row:
        guid = guid.lower()
        code = str(data.get("CustomerCode") or "").strip()
        if not code:
            raise Refused("CustomerCode is required")
        for other in self.customers.values():
            if other["CustomerCode"] == code and other["Guid"] != guid:
                raise Refused(f"Customer code '{code}' already exists")
        now = self.now()
        row = self.customers.get(guid)
        created = row is None
        if row is None:
            row = {"Guid": guid, "Obsolete": False, "CreatedOn": now}
            self.customers[guid] = row
        row.update({k: v for k, v in data.items() if k not in ("Guid", "CreatedOn")})
        row["LastModifiedOn"] = now
        self.emit("customer.created" if created else "customer.updated", row)
        return row

    # -- sales orders -----------------------------------------------------------------------

    def upsert_order(self, guid: str, data: Row, *, create: bool) -> Row:
        guid = guid.lower()
        row = self.orders.get(guid)
        if row is None and not create:
            raise KeyError(guid)
        if row is not None and row["OrderStatus"] not in EDITABLE:
            raise Refused(f"Sales order {row['OrderNumber']} is {row['OrderStatus']}")
        customer = (data.get("Customer") or {}).get("Guid")
        if not isinstance(customer, str) or customer.lower() not in self.customers:
            raise Refused("Customer not found")
        lines = []
        for line in data.get("SalesOrderLines") or []:
            product = self.products.get(str((line.get("Product") or {}).get("Guid", "")).lower())
            if product is None:
                raise Refused(f"Product not found on line {line.get('LineNumber')}")
            lines.append(
                {
                    **line,
                    "Product": {"Guid": product["Guid"], "ProductCode": product["ProductCode"]},
                }
            )
        if not lines:
            raise Refused("A sales order needs at least one line")
        now = self.now()
        if row is None:
            self._serial += 1
            row = {"Guid": guid, "OrderNumber": f"SO-{self._serial:08d}", "CreatedOn": now}
            self.orders[guid] = row
        row.update(
            {
                "OrderStatus": data.get("OrderStatus") or row.get("OrderStatus") or "Parked",
                "SourceId": data.get("SourceId") or row.get("SourceId"),
                "CustomerRef": data.get("CustomerRef"),
                "Currency": data.get("Currency"),
                "SalesOrderLines": lines,
                "Total": data.get("Total"),
                "LastModifiedOn": now,
            }
        )
        row["Customer"] = {
            "Guid": customer.lower(),
            "CustomerCode": self.customers[customer.lower()]["CustomerCode"],
        }
        return row

    def complete_order(self, guid: str) -> Row:
        row = self.orders[guid.lower()]
        if row["OrderStatus"] not in EDITABLE:
            raise Refused(f"Sales order {row['OrderNumber']} is {row['OrderStatus']}")
        row["OrderStatus"] = "Completed"
        row["LastModifiedOn"] = self.now()
        return row


def by_modified(rows: Iterable[Row]) -> list[Row]:
    """Ordered by LastModifiedOn, equal times by Guid (Unleashed does not say how it breaks
    ties; any order among equals is allowed and the connector assumes none)."""
    return sorted(rows, key=lambda r: (r["LastModifiedOn"], r.get("Guid") or r.get("ProductGuid")))
