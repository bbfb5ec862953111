"""Admin endpoints of the sandbox back office: edit the catalogue, stock, settings, clock and
generator, and read the call and write statistics (customer admin is in erp_customers.py).

These exist for tests and the demo. They need the API key but are neither rate limited nor
counted in the call statistics, so a test's setup never disturbs what it measures.
``GET /admin/call-times?since=`` lists when each API call arrived (budget windows are checked
against it: scripts/chaos.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncwright.connectors.sandbox import inputs
from syncwright.connectors.sandbox.erp.store import ErpStore
from syncwright.connectors.sandbox.generator import ChangeGenerator
from syncwright.connectors.sandbox.refusals import Conflict, NotFound
from syncwright.connectors.sandbox.timestamps import parse_token
from syncwright.connectors.sandbox.web import (
    DbWorker,
    Guard,
    HttpError,
    json_object,
    json_response,
    page_response,
    raw_response,
    read_json,
    set_clock,
)

PRODUCT_FIELDS = ("title", "handle", "status", "restock_date", "custom")


class ErpAdmin:
    def __init__(
        self,
        store: ErpStore,
        db: DbWorker,
        guard: Guard,
        generator: ChangeGenerator,
        *,
        counts: Callable[[], dict[str, int]] = dict,
    ) -> None:
        self._store, self._db, self._guard, self._generator = store, db, guard, generator
        self._counts = counts

    def routes(self) -> list[Route]:
        wrap = self._guard.wrap
        return [
            Route("/admin/products", wrap("create", self.create, admin=True), methods=["POST"]),
            Route(
                "/admin/products/{id:int}", wrap("patch", self.patch, admin=True), methods=["PATCH"]
            ),
            Route(
                "/admin/products/{id:int}",
                wrap("delete", self.delete, admin=True),
                methods=["DELETE"],
            ),
            Route("/admin/stock", wrap("stock", self.stock, admin=True), methods=["PUT"]),
            Route("/admin/settings", wrap("settings", self.settings, admin=True), methods=["PUT"]),
            Route("/admin/clock", wrap("clock", self.clock, admin=True), methods=["POST"]),
            Route("/admin/generator", wrap("gen", self.generator, admin=True), methods=["POST"]),
            Route("/admin/stats", wrap("stats", self.stats, admin=True), methods=["GET"]),
            Route("/admin/reset-stats", wrap("reset", self.reset, admin=True), methods=["POST"]),
            self._guard.call_times_route(),
        ]

    async def create(self, request: Request) -> Response:
        body = json_object(await read_json(request))
        fields = product_fields(body)
        if not fields.get("title"):
            raise HttpError(400, "'title' is required")
        variants = [variant_input(v, new=True) for v in _list(body.get("variants", []))]
        return raw_response(await self._call(self._store.create_product, fields, variants), 201)

    async def patch(self, request: Request) -> Response:
        body = json_object(await read_json(request))
        stamp = body.get("modified_at")
        if stamp is not None:
            stamp = _check(
                parse_token, _text(stamp, "modified_at"), "'modified_at' must be an ISO 8601 time"
            )
        variants = [
            variant_input(v, new=not (isinstance(v, dict) and "id" in v))
            for v in _list(body.get("variants", []))
        ]
        product = await self._call(
            self._store.patch_product,
            request.path_params["id"],
            product_fields(body),
            variants,
            stamp,
        )
        return raw_response(product)

    async def delete(self, request: Request) -> Response:
        """Mark the product deleted (change pulls see it); ``?purge=1`` removes it instead, so
        only its absence from listings tells (a source that deletes without a marker)."""
        product_id = request.path_params["id"]
        if request.query_params.get("purge") in ("1", "true"):
            await self._call(self._store.purge_product, product_id)
            return json_response({"purged": product_id})
        return raw_response(await self._call(self._store.delete_product, product_id))

    async def stock(self, request: Request) -> Response:
        body = json_object(await read_json(request))
        entries = _list(body["levels"]) if "levels" in body else [body]
        levels = []
        for entry in entries:
            entry = json_object(entry, "a stock level")
            quantity = entry.get("quantity")
            if type(quantity) is not int:
                raise HttpError(400, "'quantity' must be an integer")
            levels.append(
                (_text(entry.get("sku"), "sku"), _text(entry.get("location"), "location"), quantity)
            )
        return page_response(await self._call(self._store.set_stock, levels), None)

    async def settings(self, request: Request) -> Response:
        """``{"currency"?, "name"?}``: change the store settings (modified_at moves)."""
        body = json_object(await read_json(request))
        changes: dict[str, str] = {}
        if "currency" in body:
            changes["currency"] = inputs.currency(body["currency"])
        if "name" in body:
            changes["name"] = inputs.text(body["name"], "name")
        if not changes:
            raise HttpError(400, "give 'currency' and/or 'name'")
        return json_response(await self._db.run(self._store.set_settings, changes))

    async def clock(self, request: Request) -> Response:
        return await set_clock(request, self._db, self._store.set_clock_offset, self._store.clock)

    async def generator(self, request: Request) -> Response:
        rate = json_object(await read_json(request)).get("rate")
        if not isinstance(rate, int | float) or isinstance(rate, bool):
            raise HttpError(400, "'rate' must be a number of changes per second")
        _check(self._generator.set_rate, float(rate), "'rate' must be 0 or more")
        await self._generator.settle()  # the answer's count is final when the rate is 0
        return json_response(self._generator.statistics())

    async def stats(self, request: Request) -> Response:
        return json_response(
            {
                **self._guard.stats(),
                **self._counts(),
                "generator": self._generator.statistics(),
                "clock_offset_seconds": self._store.clock.offset_seconds,
            }
        )

    async def reset(self, request: Request) -> Response:
        self._guard.reset()
        return json_response(self._guard.stats())

    async def _call(self, func: Any, *args: Any) -> Any:
        try:
            return await self._db.run(func, *args)
        except NotFound as exc:
            raise HttpError(404, str(exc)) from None
        except Conflict as exc:
            raise HttpError(409, str(exc)) from None


def product_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The product fields present in ``body``, checked."""
    fields: dict[str, Any] = {}
    for key in PRODUCT_FIELDS:
        if key not in body:
            continue
        value = body[key]
        if key == "status" and value not in ("live", "discontinued"):
            raise HttpError(400, "'status' must be 'live' or 'discontinued'")
        if key == "restock_date" and value is not None:
            _check(date.fromisoformat, _text(value, key), "'restock_date' must be YYYY-MM-DD")
        elif key == "custom":
            _string_map(value, key)
        elif key in ("title", "handle"):
            _text(value, key)
        fields[key] = value
    return fields


def variant_input(raw: Any, *, new: bool) -> dict[str, Any]:
    """A checked variant: a new one (``price`` required) or an edit of one (by ``id``)."""
    variant = dict(json_object(raw, "a variant"))
    if not new and type(variant.get("id")) is not int:
        raise HttpError(400, "a variant edit needs an integer 'id'")
    if new and "price" not in variant:
        raise HttpError(400, "a new variant needs a 'price'")
    for key in ("title", "image_url", "sku"):
        if variant.get(key) is not None:
            _text(variant[key], key)
    for key in ("weight_grams", "position"):
        if variant.get(key) is not None and (type(variant[key]) is not int or variant[key] < 0):
            raise HttpError(400, f"'{key}' must be a whole number, 0 or more")
    for key in ("price", "rrp"):
        if variant.get(key) is not None:
            variant[key] = _decimal(variant[key], key)
    if "options" in variant:
        _string_map(variant["options"], "options")
    if new:
        variant.setdefault("title", "Default")
    return variant


def _decimal(value: Any, key: str) -> str:
    try:
        amount = Decimal(str(value)) if type(value) in (str, int, float) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise HttpError(400, f"'{key}' must be a non-negative decimal such as \"19.99\"")
    return str(amount)


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise HttpError(400, f"'{key}' must be a string")
    return value


def _string_map(value: Any, key: str) -> None:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise HttpError(400, f"'{key}' must be an object of strings")


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise HttpError(400, "'variants' and 'levels' must be lists")
    return value


def _check(func: Any, value: Any, message: str) -> Any:
    try:
        return func(value)
    except ValueError:
        raise HttpError(400, message) from None
