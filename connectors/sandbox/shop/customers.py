"""Customer endpoints of the sandbox shop (accounts "sc_N", one per e-mail ignoring case).

    GET  /api/customers/changes?since=&after_modified=&after_id=&limit=
         accounts by (updated_at, id); ``after_id`` as "sc_12" or 12
    GET  /api/customers/search?email=&account_id=
         {"items": [...]}: accounts with that e-mail (ignoring case) or accounting_id
    GET  /api/customers/{id}                    one account
    POST /api/customers   {email, first_name, last_name, company, group, accounting_id,
                           price_lists, discount_percent, pays_on_account, parent_id, address}
         -> 201 account; 422 for a missing or malformed e-mail or "address line 1 is empty";
         409 {"error", "existing_id"} when another account holds the e-mail

There is no update endpoint: the daemon never overwrites a linked customer. The shop's own
staff edit accounts with ``PATCH /admin/customers/{id}`` (optional ``updated_at`` override).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncwright.connectors.sandbox import inputs
from syncwright.connectors.sandbox.shop.customer_store import ShopCustomers
from syncwright.connectors.sandbox.web import (
    DbWorker,
    Guard,
    change_args,
    found,
    json_object,
    json_response,
    read_json,
    row_id,
    search_params,
)

PREFIX = "sc_"


def parent_id(value: Any) -> str:
    if not isinstance(value, str) or not value.removeprefix(PREFIX).isdigit():
        raise inputs.invalid("'parent_id' must be a customer id such as \"sc_12\", or null")
    return f"{PREFIX}{value.removeprefix(PREFIX)}"


class ShopCustomersApi:
    def __init__(self, store: ShopCustomers, db: DbWorker, guard: Guard) -> None:
        self._store, self._db, self._guard = store, db, guard
        self.created = 0

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
                "/api/customers/{id}", wrap("GET /api/customers/{id}", self.one), methods=["GET"]
            ),
            Route("/api/customers", wrap("POST /api/customers", self.create), methods=["POST"]),
            Route(
                "/admin/customers/{id}",
                wrap("admin patch customer", self.admin_patch, admin=True),
                methods=["PATCH"],
            ),
        ]

    async def changes(self, request: Request) -> Response:
        items, after = await self._db.run(self._store.changed, *change_args(request, PREFIX))
        return json_response({"items": items, "next": after})

    async def search(self, request: Request) -> Response:
        email, account_id = search_params(request)
        found = await self._db.run(self._store.search, email, account_id)
        return json_response({"items": found, "next": None})

    async def one(self, request: Request) -> Response:
        key = row_id(request.path_params["id"], "id", PREFIX)
        customer = await self._db.run(self._store.get, key)
        return json_response(found(customer, f"no customer {PREFIX}{key}"))

    async def create(self, request: Request) -> Response:
        body = json_object(await read_json(request))
        columns = inputs.customer(body, strict=True, partial=False, parent=parent_id)
        customer = await self._db.run(self._store.create, columns)
        self.created += 1
        return json_response(customer, 201)

    async def admin_patch(self, request: Request) -> Response:
        body = json_object(await read_json(request))
        stamp = body.pop("updated_at", None)
        columns = inputs.customer(body, strict=False, partial=True, parent=parent_id)
        customer = await self._db.run(
            self._store.patch,
            row_id(request.path_params["id"], "id", PREFIX),
            columns,
            None if stamp is None else inputs.timestamp(stamp, "updated_at"),
        )
        return json_response(customer)
