"""The Accounting API's resources as the emulator answers them (``/api.xro/2.0/...``).

Documented and reproduced: the JSON envelopes (``{"Items": [...]}``, ``pagination`` beside paged
Contacts and Invoices), ``If-Modified-Since`` (UTC, to the second, inclusive) against
UpdatedDateUTC, ``where`` and ``order``, ``page``/``pageSize`` on Contacts and Invoices (not on
Items), ``summarizeErrors=false`` answering 200 with per-element ``HasErrors`` and
``ValidationErrors``, the 400 ``ValidationException`` body otherwise, ``Idempotency-Key``
(a repeated key gets the first answer again, without a second write). Assumed: pageSize at most
1000 (Xero does not say), 100 by default; ties in ``order`` broken by id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from syncwright.connectors.xero.emulator.store import Books, Record, updated_at
from syncwright.connectors.xero.emulator.where import WhereError, parse

MAX_PAGE = 1000
DEFAULT_PAGE = 100


def validation_exception(messages: list[str], element: Record | None = None) -> JSONResponse:
    body = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [{**(element or {}), "ValidationErrors": [{"Message": m} for m in messages]}],
    }
    return JSONResponse(body, status_code=400)


def not_found() -> Response:
    return Response("The resource you're looking for cannot be found", status_code=404)


def _since(request: Request) -> float | None:
    value = request.headers.get("if-modified-since")
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def select(request: Request, records: list[Record], id_field: str) -> list[Record]:
    """Filter by If-Modified-Since and ``where``, sort by ``order`` (ties by id)."""
    since = _since(request)
    if since is not None:
        records = [r for r in records if updated_at(r) >= since]
    where = request.query_params.get("where")
    if where:
        predicate = parse(where)
        records = [r for r in records if predicate(r)]
    order = request.query_params.get("order", "")
    if order.startswith("UpdatedDateUTC"):
        records.sort(key=lambda r: (updated_at(r), r[id_field]), reverse=order.endswith("DESC"))
    else:
        records.sort(key=lambda r: r[id_field])
    return records


def paged(request: Request, name: str, records: list[Record]) -> JSONResponse:
    try:
        page = max(1, int(request.query_params.get("page", "1")))
        size = int(request.query_params.get("pageSize", str(DEFAULT_PAGE)))
    except ValueError:
        return validation_exception(["page and pageSize must be numbers"])
    size = max(1, min(size, MAX_PAGE))
    chunk = records[(page - 1) * size : page * size]
    count = len(records)
    return JSONResponse(
        {
            name: chunk,
            "pagination": {
                "page": page,
                "pageSize": size,
                "pageCount": (count + size - 1) // size,
                "itemCount": count,
            },
        }
    )


class Api:
    def __init__(self, books: Books) -> None:
        self.books = books
        #: Idempotency-Key -> (status, body) of its first answer.
        self.replies: dict[str, tuple[int, bytes]] = {}
        self.writes = 0

    async def items(self, request: Request) -> Response:
        if request.method == "GET":
            try:
                rows = select(request, list(self.books.items.values()), "ItemID")
            except WhereError as exc:
                return validation_exception([str(exc)])
            return JSONResponse({"Items": rows})
        return await self._write(request, "Items", self._item)

    def _item(self, data: Record) -> tuple[Record, list[str]]:
        errors = self.books.item_errors(data)
        return (data, errors) if errors else (self.books.put_item(data), [])

    async def item(self, request: Request) -> Response:
        key = request.path_params["id"]
        found = self.books.items.get(key) or next(
            (i for i in self.books.items.values() if i["Code"] == key), None
        )
        if request.method == "DELETE":
            return (
                Response(status_code=204)
                if found and self.books.delete_item(found["ItemID"])
                else not_found()
            )
        return JSONResponse({"Items": [found]}) if found else not_found()

    async def contacts(self, request: Request) -> Response:
        if request.method == "GET":
            rows = list(self.books.contacts.values())
            if request.query_params.get("includeArchived", "false").lower() != "true":
                rows = [r for r in rows if r.get("ContactStatus") != "ARCHIVED"]
            try:
                rows = select(request, rows, "ContactID")
            except WhereError as exc:
                return validation_exception([str(exc)])
            return paged(request, "Contacts", rows)
        return await self._write(request, "Contacts", self._contact)

    def _contact(self, data: Record) -> tuple[Record, list[str]]:
        errors = self.books.contact_errors(data)
        return (data, errors) if errors else (self.books.put_contact(data), [])

    async def contact(self, request: Request) -> Response:
        found = self.books.contacts.get(request.path_params["id"])
        return JSONResponse({"Contacts": [found]}) if found else not_found()

    async def invoices(self, request: Request) -> Response:
        if request.method == "GET":
            try:
                rows = select(request, list(self.books.invoices.values()), "InvoiceID")
            except WhereError as exc:
                return validation_exception([str(exc)])
            return paged(request, "Invoices", rows)
        return await self._write(request, "Invoices", self._invoice)

    def _invoice(self, data: Record) -> tuple[Record, list[str]]:
        errors = self.books.invoice_errors(data)
        return (data, errors) if errors else (self.books.put_invoice(data), [])

    async def invoice(self, request: Request) -> Response:
        invoice_id = request.path_params["id"]
        if invoice_id not in self.books.invoices:
            return not_found()
        if request.method == "POST":
            body = json.loads(await request.body())
            for data in body.get("Invoices") or []:
                self.books.update_invoice(invoice_id, data)
            self.writes += 1
        return JSONResponse({"Invoices": [self.books.invoices[invoice_id]]})

    async def history(self, request: Request) -> Response:
        invoice_id = request.path_params["id"]
        if invoice_id not in self.books.invoices:
            return not_found()
        if request.method == "PUT":
            body = json.loads(await request.body())
            made = [
                self.books.add_history(invoice_id, str(r.get("Details", "")))
                for r in body.get("HistoryRecords") or []
            ]
            self.writes += 1
            return JSONResponse({"HistoryRecords": made})
        return JSONResponse({"HistoryRecords": self.books.history.get(invoice_id, [])})

    async def organisation(self, request: Request) -> Response:
        return JSONResponse({"Organisations": [self.books.organisation]})

    async def _write(
        self, request: Request, name: str, one: Callable[[Record], tuple[Record, list[str]]]
    ) -> Response:
        key = request.headers.get("idempotency-key")
        if key and key in self.replies:
            status, raw = self.replies[key]
            return Response(raw, status_code=status, media_type="application/json")
        try:
            body = json.loads(await request.body())
            elements = body[name]
            if not isinstance(elements, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return validation_exception([f"The request body must hold a {name} array"])
        summarize = request.query_params.get("summarizeErrors", "true").lower() != "false"
        answers: list[Record] = []
        for data in elements:
            record, errors = one(data if isinstance(data, dict) else {})
            if errors:
                if summarize:
                    return validation_exception(errors, record)
                record = {
                    **record,
                    "HasErrors": True,
                    "StatusAttributeString": "ERROR",
                    "ValidationErrors": [{"Message": m} for m in errors],
                }
            answers.append(record)
        self.writes += 1
        raw = json.dumps({name: answers}).encode()
        if key:
            self.replies[key] = (200, raw)
        return Response(raw, status_code=200, media_type="application/json")

    def answer(self, name: str) -> Any:
        return getattr(self, name)
