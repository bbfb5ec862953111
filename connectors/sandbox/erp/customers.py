"""Customer endpoints of the sandbox back office.

    GET  /api/customers/changes?since=&after_modified=&after_id=&limit=
         customers with modified_at >= since and (modified_at, id) > (after_modified, after_id)
    GET  /api/customers?after_id=&limit=        customers by id
    GET  /api/customers/search?email=&account_id=
         {"items": [...]}: EVERY customer whose e-mail matches ignoring case, or whose
         accounting_id equals account_id; customers 1 and 2 of the seed share an e-mail
    GET  /api/customers/{id}                    one customer
    POST /api/customers     {email, first_name, last_name, company, group, accounting_id,
                             price_lists, discount_percent, pays_on_account, parent_id, address}
         -> 201 customer; 422 {"error"} for a missing or malformed e-mail, "address line 1 is
         empty", an unknown parent; 409 {"error", "existing_id"} for a taken accounting_id

Admin (not rate limited, not counted): ``POST /admin/customers`` creates without the e-mail
and address rules (to plant legacy data); ``PATCH /admin/customers/{id}`` edits any fields,
with an optional ``modified_at`` override.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncwright.connectors.sandbox import inputs
from syncwright.connectors.sandbox.erp.customer_store import CustomerStore
from syncwright.connectors.sandbox.web import (
    DbWorker,
    Guard,
    change_args,
    found,
    json_object,
    listing_args,
    page_response,
    raw_response,
    read_json,
    search_params,
)


def parent_id(value: Any) -> int:
    if type(value) is not int or value < 1:
        raise inputs.invalid("'parent_id' must be a customer id (an integer) or null")
    return value


class ErpCustomersApi:
    def __init__(self, store: CustomerStore, db: DbWorker, guard: Guard) -> None:
        self._store, self._db, self._guard = store, db, guard

    def routes(self) -> list[Route]:
        wrap = self._guard.wrap
        return [
            Route(
                "/api/customers/changes",
                wrap("GET /api/customers/changes", self.changes),
                methods=["GET"],
            ),
            Route(
                "/api/customers/search",
                wrap("GET /api/customers/search", self.search),
                methods=["GET"],
            ),
            Route(
                "/api/customers/{id:int}",
                wrap("GET /api/customers/{id}", self.one),
                methods=["GET"],
            ),
            Route("/api/customers", wrap("GET /api/customers", self.listing), methods=["GET"]),
            Route("/api/customers", wrap("POST /api/customers", self.create), methods=["POST"]),
            Route(
                "/admin/customers",
                wrap("admin create customer", self.admin_create, admin=True),
                methods=["POST"],
            ),
            Route(
                "/admin/customers/{id:int}",
                wrap("admin patch customer", self.admin_patch, admin=True),
                methods=["PATCH"],
            ),
        ]

    async def changes(self, request: Request) -> Response:
        items, after = await self._db.run(self._store.changed, *change_args(request))
        return page_response(items, after)

    async def listing(self, request: Request) -> Response:
        items, after = await self._db.run(self._store.listing, *listing_args(request))
        return page_response(items, after)

    async def search(self, request: Request) -> Response:
        email, account_id = search_params(request)
        return page_response(await self._db.run(self._store.search, email, account_id), None)

    async def one(self, request: Request) -> Response:
        customer_id = request.path_params["id"]
        customer = await self._db.run(self._store.get, customer_id)
        return raw_response(found(customer, f"no customer with id {customer_id}"))

    async def create(self, request: Request) -> Response:
        return await self._create(request, strict=True)

    async def admin_create(self, request: Request) -> Response:
        return await self._create(request, strict=False)

    async def admin_patch(self, request: Request) -> Response:
        body = json_object(await read_json(request))
        stamp = body.pop("modified_at", None)
        columns = inputs.customer(body, strict=False, partial=True, parent=parent_id)
        customer = await self._db.run(
            self._store.patch,
            request.path_params["id"],
            columns,
            None if stamp is None else inputs.timestamp(stamp, "modified_at"),
        )
        return raw_response(customer)

    async def _create(self, request: Request, *, strict: bool) -> Response:
        body = json_object(await read_json(request))
        columns = inputs.customer(body, strict=strict, partial=False, parent=parent_id)
        return raw_response(await self._db.run(self._store.create, columns), 201)
