"""Contacts (customers), invoices (orders) and the organisation's settings.

Contacts are paged (``page``, ``pageSize`` up to 1000). The change feed asks
``If-Modified-Since`` (whole seconds, inclusive) from the last key's second, ordered by
UpdatedDateUTC, and drops what it has already passed by (token, id). A full page ends on a
second that may go on in the next page, so the items of that last second are left for the next
request, which starts there; when a whole page is one second, the next page number is read.
Archived contacts are never candidates for a match and are not forwarded.

Invoices: an order becomes one ACCREC invoice whose Reference is the channel's order reference.
Xero has no unique key for it, so the daemon looks the reference up before any create, and the
create carries an ``Idempotency-Key`` derived from the system and the reference: a create
retried after a timeout returns the invoice the first one made. Shipments do not exist in
Xero: each is a history note on the invoice, found again by its ``[shipment ID]`` tag.
"""

from __future__ import annotations

import hashlib
from typing import Any

from syncwright.connectors.base import AlreadyPosted, ChangeQuery, ListQuery, Page
from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.model import Customer, Order, Shipment, StoreSettings
from syncwright.connectors.xero import wire
from syncwright.connectors.xero.catalog import _array
from syncwright.connectors.xero.transport import XeroHttp, validation_messages

AMENDABLE = frozenset({"DRAFT", "SUBMITTED"})


class Sales:
    def __init__(
        self,
        http: XeroHttp,
        system: str,
        *,
        tenant_id: str,
        status: str,
        account_code: str,
        line_amount_types: str,
        page_size: int,
    ) -> None:
        self.http = http
        self.system = system
        self.tenant_id = tenant_id
        self.status = status
        self.account_code = account_code
        self.line_amount_types = line_amount_types
        self.page_size = page_size
        self._listing: list[Any] | None = None
        #: References a look-up just found no invoice for (the daemon looks before a create).
        self._absent: set[str] = set()

    # -- contacts ------------------------------------------------------------------------

    async def _contacts(
        self, page: int, *, since: str | None = None, where: str | None = None, feed: bool = False
    ) -> list[Any]:
        params: dict[str, Any] = {"page": page, "pageSize": self.page_size}
        if where:
            params["where"] = where
        if feed:
            params["order"] = "UpdatedDateUTC ASC"
        headers = {} if since is None else {"If-Modified-Since": wire.modified_since(since)}
        body = await self.http.request("GET", "/Contacts", params=params, headers=headers)
        return _array(body, "Contacts", self.system)

    async def changed_customers(self, query: ChangeQuery) -> Page[Customer]:
        start = query.after[0] if query.after is not None else query.since
        low = None if query.since is None else wire.parse_date(query.since)
        after = None
        if query.after is not None:
            when = wire.parse_date(query.after[0])
            after = None if when is None else (when, query.after[1])
        floor = None if start is None else wire.parse_date(wire.modified_since(start))
        rows: list[tuple[Any, Any, str]] = []
        complete = False
        number = 1
        while True:
            raw = await self._contacts(number, since=start, feed=True)
            rows += [wire.contact_key(item, self.system) for item in raw]
            if len(raw) < self.page_size:
                complete = True
                break
            # A full page: go on from its last second, unless the page is all one second.
            if floor is None or rows[-1][1].replace(microsecond=0) > floor:
                break
            number += 1
        fresh = sorted(
            (
                r
                for r in rows
                if (low is None or r[1] >= low) and (after is None or (r[1], r[2]) > after)
            ),
            key=lambda r: (r[1], r[2]),
        )
        if not complete:
            boundary = rows[-1][1].replace(microsecond=0)
            kept = [r for r in fresh if r[1].replace(microsecond=0) < boundary]
            fresh = kept or fresh
        items = [wire.customer(r[0], self.system) for r in fresh if _active(r[0])]
        last = (wire.token(fresh[-1][1]), fresh[-1][2]) if fresh else query.after
        return Page(items, last, complete=complete, next_key=None if complete else last)

    async def list_customers(self, query: ListQuery) -> Page[Customer]:
        if query.after is None or self._listing is None:
            everything: list[Any] = []
            number = 1
            while True:
                raw = await self._contacts(number)
                everything += raw
                if len(raw) < self.page_size:
                    break
                number += 1
            everything.sort(
                key=lambda c: str(c.get("ContactID", "")) if isinstance(c, dict) else ""
            )
            self._listing = everything
        rows = [
            c for c in self._listing if query.after is None or str(c.get("ContactID")) > query.after
        ]
        taken = rows[: query.limit]
        items = [wire.customer(c, self.system) for c in taken if _active(c)]
        last = ("", str(taken[-1].get("ContactID"))) if taken else None
        return Page(items, last, complete=len(rows) <= query.limit)

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        """Active contacts with this e-mail (ignoring case) or account number."""
        terms = []
        if email:
            terms.append(f'EmailAddress.ToLower()=="{wire.escape(email.lower())}"')
        if account_id:
            terms.append(f'AccountNumber=="{wire.escape(account_id)}"')
        if not terms:
            return []
        where = f'ContactStatus=="ACTIVE" AND ({" OR ".join(terms)})'
        found = await self._contacts(1, where=where)
        return [wire.customer(raw, self.system) for raw in found if _active(raw)]

    async def get_customer(self, external_id: str) -> Customer | None:
        try:
            body = await self.http.request("GET", f"/Contacts/{external_id}")
        except PermanentError as exc:
            if exc.status in (400, 404):
                return None
            raise
        found = _array(body, "Contacts", self.system)
        return wire.customer(found[0], self.system) if found else None

    async def create_customer(self, customer: Customer) -> str:
        """Create a contact. Xero refuses a second contact of the same name: the holder of the
        name is linked only when its e-mail or account number is this customer's."""
        body = wire.contact_body(customer)
        answer = await self._write(
            "PUT", "/Contacts", "Contacts", body, f"contact|{customer.external_id}|{body['Name']}"
        )
        messages = validation_messages([answer]) if answer.get("HasErrors") else []
        if not messages:
            return _id(answer, "ContactID", self.system)
        where = f'Name=="{wire.escape(body["Name"])}"'
        for holder in await self._contacts(1, where=where):
            found = wire.customer(holder, self.system)
            same_mail = (
                bool(customer.email)
                and (found.email or "").lower() == (customer.email or "").lower()
            )
            same_account = bool(customer.accounting_id) and (
                found.accounting_id == customer.accounting_id
            )
            if _active(holder) and (same_mail or same_account):
                return found.external_id
        raise PermanentError(
            f"Xero refused contact {body['Name']!r}: {'; '.join(messages)}", system=self.system
        )

    # -- invoices ------------------------------------------------------------------------

    async def find_order(self, channel_ref: str) -> str | None:
        where = f'Type=="ACCREC" AND Reference=="{wire.escape(channel_ref)}"'
        body = await self.http.request("GET", "/Invoices", params={"where": where, "page": 1})
        found = _array(body, "Invoices", self.system)
        if not found:
            if len(self._absent) > 10_000:  # references looked up and never posted
                self._absent.clear()
            self._absent.add(channel_ref)
            return None
        self._absent.discard(channel_ref)
        return _id(found[0], "InvoiceID", self.system)

    async def create_order(self, order: Order, *, customer_id: str, channel_ref: str) -> str:
        """Xero keeps no unique reference, so a create not just preceded by a look-up that
        found nothing looks first (AlreadyPosted when found); the idempotency key covers the
        race between two creates, and a create retried after its answer was lost."""
        if channel_ref in self._absent:
            self._absent.discard(channel_ref)
        else:
            existing = await self.find_order(channel_ref)
            self._absent.discard(channel_ref)
            if existing is not None:
                raise AlreadyPosted(channel_ref, existing)
        body = wire.invoice_body(
            order,
            contact_id=customer_id,
            reference=channel_ref,
            status=self.status,
            account_code=self.account_code,
            line_amount_types=self.line_amount_types,
        )
        answer = await self._write("PUT", "/Invoices", "Invoices", body, f"invoice|{channel_ref}")
        messages = validation_messages([answer]) if answer.get("HasErrors") else []
        if messages:
            raise PermanentError(
                f"Xero refused the invoice for order {channel_ref}: {'; '.join(messages)}",
                system=self.system,
            )
        return _id(answer, "InvoiceID", self.system)

    async def _invoice(self, invoice_id: str) -> dict[str, Any]:
        body = await self.http.request("GET", f"/Invoices/{invoice_id}")
        found = _array(body, "Invoices", self.system)
        if not found or not isinstance(found[0], dict):
            raise PayloadError(f"invoice {invoice_id} came back empty", system=self.system)
        return found[0]

    async def amend_order(self, order_id: str, order: Order) -> None:
        """Rewrite a draft's lines (or delete a cancelled draft); an authorised invoice gets a
        history note and the amendment is refused, for a person to make in Xero."""
        invoice = await self._invoice(order_id)
        status = str(invoice.get("Status", ""))
        if status not in AMENDABLE:
            await self._note(
                order_id,
                f"Order {order.external_id} changed on the channel; "
                f"not applied because the invoice is {status}.",
            )
            raise PermanentError(
                f"invoice {invoice.get('InvoiceNumber') or order_id} is {status}: apply the "
                f"change to order {order.external_id} in Xero by hand",
                system=self.system,
            )
        update: dict[str, Any] = {"InvoiceID": order_id}
        if order.status == "cancelled":
            update["Status"] = "DELETED"
        else:
            update["LineItems"] = wire.line_items(order, self.account_code)
        await self.http.request("POST", f"/Invoices/{order_id}", json_body={"Invoices": [update]})

    async def add_shipment(self, order_id: str, shipment: Shipment) -> None:
        lines = ", ".join(f"{qty} x {sku}" for sku, qty in shipment.lines)
        carrier = " ".join(p for p in (shipment.carrier, shipment.tracking) if p)
        await self._note(
            order_id,
            f"Shipped {lines or 'order'} {carrier}".strip() + f" [shipment {shipment.external_id}]",
        )

    async def has_shipment(self, order_id: str, shipment_id: str) -> bool:
        body = await self.http.request("GET", f"/Invoices/{order_id}/History")
        records = _array(body, "HistoryRecords", self.system)
        tag = f"[shipment {shipment_id}]"
        return any(isinstance(r, dict) and tag in str(r.get("Details", "")) for r in records)

    async def _note(self, invoice_id: str, text: str) -> None:
        await self.http.request(
            "PUT",
            f"/Invoices/{invoice_id}/History",
            json_body={"HistoryRecords": [{"Details": text[:2500]}]},
        )

    # -- settings ------------------------------------------------------------------------

    async def get_settings(self) -> StoreSettings:
        body = await self.http.request("GET", "/Organisation")
        found = _array(body, "Organisations", self.system)
        org = found[0] if found and isinstance(found[0], dict) else {}
        currency = org.get("BaseCurrency")
        if not isinstance(currency, str) or not currency:
            raise PayloadError("the organisation has no BaseCurrency", system=self.system)
        return StoreSettings(currency=currency, name=str(org.get("Name") or ""))

    # -- helpers -------------------------------------------------------------------------

    async def _write(
        self, method: str, path: str, name: str, element: dict[str, Any], key: str
    ) -> dict[str, Any]:
        """One element written with summarizeErrors=false and an idempotency key: its answer
        element, which may hold ValidationErrors."""
        digest = hashlib.sha256(f"{self.system}|{self.tenant_id}|{key}".encode()).hexdigest()
        answer = await self.http.request(
            method,
            path,
            params={"summarizeErrors": "false"},
            json_body={name: [element]},
            headers={"Idempotency-Key": f"sw-{digest[:64]}"},
        )
        found = _array(answer, name, self.system)
        if not found or not isinstance(found[0], dict):
            raise PayloadError(f"the {name} write answered nothing", system=self.system)
        element_answer: dict[str, Any] = found[0]
        return element_answer


def _active(raw: Any) -> bool:
    return isinstance(raw, dict) and raw.get("ContactStatus", "ACTIVE") == "ACTIVE"


def _id(raw: Any, field: str, system: str) -> str:
    value = raw.get(field) if isinstance(raw, dict) else None
    if not isinstance(value, str) or not value:
        raise PayloadError(f"the answer has no {field}", system=system)
    return value
