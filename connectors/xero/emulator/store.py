"""The emulated organisation: items, contacts, invoices with history, and the organisation.

Records are kept as Xero's JSON objects; every change stamps ``UpdatedDateUTC`` with the
emulator's clock to the millisecond, stored as ``/Date(ms+0000)/`` as Xero writes it.
An AUTHORISED invoice takes the quantities of its tracked items off QuantityOnHand and moves
the item's UpdatedDateUTC [assumed: Xero does not say whether it does].
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Record = dict[str, Any]


def ms(when: float) -> str:
    return f"/Date({int(when * 1000)}+0000)/"


def updated_at(record: Record) -> float:
    text = str(record.get("UpdatedDateUTC", "/Date(0+0000)/"))
    return int(text[6:].split("+")[0].split(")")[0]) / 1000


class Books:
    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        currency: str = "NZD",
        on_change: Callable[[str, str, str], None] = lambda category, rid, kind: None,
    ) -> None:
        self.clock = clock
        #: Told of every contact and invoice created or changed (webhooks.py).
        self.on_change = on_change
        self.items: dict[str, Record] = {}
        self.contacts: dict[str, Record] = {}
        self.invoices: dict[str, Record] = {}
        self.history: dict[str, list[Record]] = {}
        self.organisation: Record = {
            "OrganisationID": str(uuid.uuid4()),
            "Name": "Demo Company (NZ)",
            "BaseCurrency": currency,
            "CountryCode": "NZ",
            "OrganisationType": "COMPANY",
        }
        self._numbers = 0
        self._last = 0.0

    def stamp(self) -> str:
        # Strictly increasing milliseconds: two writes never share a token by accident.
        now = max(self.clock(), self._last + 0.001)
        self._last = now
        return ms(now)

    # -- items ----------------------------------------------------------------------------

    def put_item(self, data: Record) -> Record:
        code = str(data.get("Code") or "")
        existing = next((i for i in self.items.values() if i["Code"] == code), None)
        item = existing or {"ItemID": str(uuid.uuid4()), "QuantityOnHand": 0.0}
        for key in (
            "Code",
            "Name",
            "Description",
            "IsSold",
            "IsPurchased",
            "SalesDetails",
            "IsTrackedAsInventory",
            "QuantityOnHand",
            "InventoryAssetAccountCode",
        ):
            if key in data:
                item[key] = data[key]
        item.setdefault("Name", code)
        item.setdefault("IsSold", True)
        item.setdefault("IsPurchased", False)
        item.setdefault("IsTrackedAsInventory", False)
        item["UpdatedDateUTC"] = self.stamp()
        self.items[item["ItemID"]] = item
        return item

    def item_errors(self, data: Record) -> list[str]:
        code = data.get("Code")
        errors = []
        if not isinstance(code, str) or not code:
            errors.append("Item code must be specified.")
        elif len(code) > 30:
            errors.append("The Item Code must not be more than 30 characters long.")
        elif any(i["Code"] == code for i in self.items.values()):
            errors.append(f"Item code '{code}' already exists.")
        if isinstance(data.get("Name"), str) and len(data["Name"]) > 50:
            errors.append("The Name must not be more than 50 characters long.")
        return errors

    def delete_item(self, item_id: str) -> bool:
        return self.items.pop(item_id, None) is not None

    def set_quantity(self, code: str, quantity: float) -> Record | None:
        item = next((i for i in self.items.values() if i["Code"] == code), None)
        if item is None:
            return None
        item["IsTrackedAsInventory"] = True
        item["QuantityOnHand"] = float(quantity)
        item["UpdatedDateUTC"] = self.stamp()
        return item

    # -- contacts -------------------------------------------------------------------------

    def contact_errors(self, data: Record, contact_id: str | None = None) -> list[str]:
        name = data.get("Name")
        if not isinstance(name, str) or not name.strip():
            return ["The contact name must be specified."]
        for other in self.contacts.values():
            if other["ContactID"] != contact_id and other["Name"].lower() == name.lower():
                return [
                    f"The contact name {name} is already assigned to another contact. "
                    "The contact name must be unique across all active contacts."
                ]
        number = data.get("AccountNumber")
        if number and any(
            o.get("AccountNumber") == number and o["ContactID"] != contact_id
            for o in self.contacts.values()
        ):
            return ["The Account Number already exists. Please enter a different Account Number."]
        return []

    def put_contact(self, data: Record) -> Record:
        contact: Record = {
            "ContactID": str(uuid.uuid4()),
            "ContactStatus": "ACTIVE",
            "IsCustomer": True,
            "IsSupplier": False,
        }
        for key in (
            "Name",
            "FirstName",
            "LastName",
            "EmailAddress",
            "AccountNumber",
            "Addresses",
            "Phones",
            "ContactStatus",
            "Discount",
        ):
            if key in data:
                contact[key] = data[key]
        contact["UpdatedDateUTC"] = self.stamp()
        self.contacts[contact["ContactID"]] = contact
        self.on_change("CONTACT", contact["ContactID"], "CREATE")
        return contact

    def update_contact(self, contact_id: str, data: Record) -> Record | None:
        contact = self.contacts.get(contact_id)
        if contact is None:
            return None
        contact.update({k: v for k, v in data.items() if k != "ContactID"})
        contact["UpdatedDateUTC"] = self.stamp()
        self.on_change("CONTACT", contact_id, "UPDATE")
        return contact

    # -- invoices -------------------------------------------------------------------------

    def invoice_errors(self, data: Record) -> list[str]:
        errors = []
        contact = data.get("Contact") or {}
        if not isinstance(contact, dict) or contact.get("ContactID") not in self.contacts:
            errors.append("A Contact must be specified for this type of transaction")
        for line in data.get("LineItems") or []:
            code = line.get("ItemCode") if isinstance(line, dict) else None
            if code and not any(i["Code"] == code for i in self.items.values()):
                errors.append(f"Item code '{code}' is not valid")
        if data.get("Type") not in ("ACCREC", "ACCPAY"):
            errors.append("Invoice Type must be specified")
        return errors

    def put_invoice(self, data: Record) -> Record:
        self._numbers += 1
        lines = [dict(line, LineItemID=str(uuid.uuid4())) for line in data.get("LineItems") or []]
        total = sum(float(x.get("Quantity", 0)) * float(x.get("UnitAmount", 0)) for x in lines)
        invoice = {
            "InvoiceID": str(uuid.uuid4()),
            "InvoiceNumber": f"INV-{self._numbers:04d}",
            "Type": data.get("Type", "ACCREC"),
            "Contact": {
                "ContactID": data["Contact"]["ContactID"],
                "Name": self.contacts[data["Contact"]["ContactID"]]["Name"],
            },
            "Reference": data.get("Reference", ""),
            "Status": data.get("Status", "DRAFT"),
            "CurrencyCode": data.get("CurrencyCode", self.organisation["BaseCurrency"]),
            "LineAmountTypes": data.get("LineAmountTypes", "Exclusive"),
            "LineItems": lines,
            "Total": round(total, 2),
            "Date": ms(self.clock()),
            "HasErrors": False,
        }
        invoice["UpdatedDateUTC"] = self.stamp()
        self.invoices[invoice["InvoiceID"]] = invoice
        self.on_change("INVOICE", invoice["InvoiceID"], "CREATE")
        if invoice["Status"] == "AUTHORISED":
            self._take_stock(invoice)
        return invoice

    def update_invoice(self, invoice_id: str, data: Record) -> Record | None:
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            return None
        before = invoice["Status"]
        if "LineItems" in data:
            invoice["LineItems"] = [
                dict(x, LineItemID=str(uuid.uuid4())) for x in data["LineItems"]
            ]
        if "Status" in data:
            invoice["Status"] = data["Status"]
        invoice["UpdatedDateUTC"] = self.stamp()
        if before != "AUTHORISED" and invoice["Status"] == "AUTHORISED":
            self._take_stock(invoice)
        return invoice

    def _take_stock(self, invoice: Record) -> None:
        for line in invoice["LineItems"]:
            for item in self.items.values():
                if item["Code"] == line.get("ItemCode") and item.get("IsTrackedAsInventory"):
                    item["QuantityOnHand"] = float(item["QuantityOnHand"]) - float(line["Quantity"])
                    item["UpdatedDateUTC"] = self.stamp()

    def add_history(self, invoice_id: str, details: str) -> Record:
        record = {
            "Details": details,
            "Changes": "Note",
            "User": "Syncwright",
            "DateUTC": ms(self.clock()),
        }
        self.history.setdefault(invoice_id, []).append(record)
        return record


def now_iso(clock: Callable[[], float]) -> str:
    return datetime.fromtimestamp(clock(), UTC).strftime("%Y-%m-%dT%H:%M:%S")
