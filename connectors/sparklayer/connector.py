"""SparkLayerChannel: the connector the daemon uses for a SparkLayer site (a B2B portal).

Roles: ChannelConnector (products with variants, stock per SKU and location), PriceLists (the
default list, named after the back office), CustomerDirectory (look-up by e-mail, a whole
customer upserted by our id), SettingsTarget (the write-once store currency), and purchases
(order history from the back office, ``PUT /api/v1/purchases/platform/{id}``), plus the
sync-log API (synclog.py). SparkLayer sends orders to the merchant's e-commerce platform, not
to us, so it is not an OrderSource; it has no change feed or webhooks for our reads either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from syncwright.connectors.base import CallGate, Capabilities, SystemSpec
from syncwright.connectors.errors import PayloadError, PermanentError, TransientError
from syncwright.connectors.model import (
    Customer,
    Order,
    Product,
    StockLevel,
    StoreSettings,
    WriteResult,
)
from syncwright.connectors.sparklayer import wire
from syncwright.connectors.sparklayer.catalog import STOCK_CHUNK, Catalog
from syncwright.connectors.sparklayer.settings import SparkLayerSettings
from syncwright.connectors.sparklayer.synclog import DATA_TYPES, LogError, SyncLogApi
from syncwright.connectors.sparklayer.transport import Problem, SparkHttp

#: The largest page SparkLayer serves (price lists; purchases allow 500 by limit/offset).
MAX_PAGE = 250
PURCHASE_PAGE = 500


class SparkLayerChannel:
    kind = "sparklayer"

    def __init__(
        self,
        spec: SystemSpec[SparkLayerSettings],
        gate: CallGate,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        settings = spec.settings
        self.name = spec.name
        self.capabilities = Capabilities(
            cursor="none",
            order_cursor="none",
            max_page_size=MAX_PAGE,
            product_batch_size=250,  # one look-up per batch: the look-up's largest page
            stock_batch_size=STOCK_CHUNK,
            webhooks=False,
            price_list_name=settings.price_list_name,
        )
        self.http = SparkHttp(
            spec.url,
            site_id=settings.site_id,
            client_id=spec.secret("client_id"),
            client_secret=spec.secret("client_secret"),
            system=spec.name,
            gate=gate,
            timeout=spec.timeout,
            transport=transport,
        )
        self.catalog = Catalog(
            self.http,
            spec.name,
            price_list=settings.price_list_name,
            currency=settings.currency,
            locations=settings.location_map,
        )
        self.sync_log = SyncLogApi(self.http, settings.integration)

    async def aclose(self) -> None:
        await self.http.aclose()

    # -- catalogue (ChannelConnector, PriceLists) -------------------------------------------

    async def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]:
        return await self.catalog.upsert(products)

    async def read_products(self, external_ids: Sequence[str]) -> dict[str, Product]:
        return await self.catalog.read(external_ids)

    async def ensure_price_list(self, name: str) -> str:
        return await self.catalog.ensure_price_list(name)

    async def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        return await self.catalog.set_stock(levels)

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        return await self.catalog.read_stock(skus)

    # -- customers (CustomerDirectory) ------------------------------------------------------

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        """The customer with this e-mail (SparkLayer keeps e-mails unique, case-insensitive),
        and the one whose id is ``account_id``; at most two, never guessed between."""
        found: dict[str, Customer] = {}
        lookups = [("email", email), ("platform", account_id)]
        for lookup, value in lookups:
            if not value:
                continue
            try:
                body = await self.http.call(
                    "GET", f"/api/v2/customers/{lookup}/{quote(value, safe='')}"
                )
            except Problem as exc:
                if exc.status == 404:
                    continue
                raise
            customer = wire.parse_customer(body, self.name)
            found[customer.external_id] = customer
        return list(found.values())

    async def create_customer(self, customer: Customer) -> str:
        """Upsert the whole customer under our id (``PUT .../platform/{id}``); its id there.
        An e-mail another customer holds is a 409, refused for good."""
        await self.put_customer(customer)
        return customer.external_id

    async def put_customer(self, customer: Customer) -> None:
        """Send the complete customer: SparkLayer clears every field a PUT leaves out."""
        cid = customer.external_id
        await self.http.call(
            "PUT",
            f"/api/v2/customers/platform/{quote(cid, safe='')}",
            body=wire.customer_body(customer, cid),
            conflict_final=True,
        )

    # -- settings (SettingsTarget) ----------------------------------------------------------

    async def get_settings(self) -> StoreSettings:
        code = await self._currency()
        if code is None:
            raise PermanentError("SparkLayer has no store currency yet", system=self.name)
        return StoreSettings(currency=code)

    async def _currency(self) -> str | None:
        try:
            body = await self.http.call("GET", "/api/v1/store-currency")
        except Problem as exc:
            if exc.status == 404:
                return None
            raise
        code = body.get("currency_code") if isinstance(body, dict) else None
        if not isinstance(code, str):
            raise PayloadError("the store currency answer has no currency_code", system=self.name)
        return code

    async def set_settings(self, settings: StoreSettings) -> None:
        """Set the store currency. SparkLayer sets it once: another value later is a 409."""
        try:
            await self.http.call(
                "PUT",
                "/api/v1/store-currency",
                body={"currency_code": settings.currency},
                conflict_final=True,
            )
        except Problem as exc:
            if exc.status != 409:
                raise
            held = await self._currency()
            if held == settings.currency:
                return  # a concurrent write set the same value
            if held is None:
                raise TransientError(
                    "SparkLayer answered 409 to the store currency but holds none yet; "
                    "try again later",
                    system=self.name,
                    status=409,
                ) from exc
            raise PermanentError(
                f"SparkLayer's store currency is {held} and cannot change to "
                f"{settings.currency} (it is set once); SparkLayer support can reset it",
                system=self.name,
                status=409,
            ) from exc

    # -- purchases (order history, back office -> SparkLayer) -------------------------------

    async def put_purchase(self, order: Order, *, customer_id: str | None) -> str:
        """Create or replace the purchase under the back office's order id: the PUT is an
        idempotent upsert, so a repeat after a lost answer writes the same purchase again."""
        ref = quote(order.external_id, safe="")
        await self.http.call(
            "PUT",
            f"/api/v1/purchases/platform/{ref}",
            body=wire.purchase_body(order, customer_id),
        )
        return order.external_id

    async def get_purchase(self, external_id: str) -> dict[str, Any] | None:
        try:
            body = await self.http.call(
                "GET", f"/api/v1/purchases/platform/{quote(external_id, safe='')}"
            )
        except Problem as exc:
            if exc.status == 404:
                return None
            raise
        return body if isinstance(body, dict) else None

    async def list_purchases(self) -> list[dict[str, Any]]:
        """Every purchase, ``limit`` 500 and ``offset`` until a short page."""
        found: list[dict[str, Any]] = []
        offset = 0
        while True:
            body = await self.http.call(
                "GET", "/api/v1/purchases", params={"limit": PURCHASE_PAGE, "offset": offset}
            )
            page = body.get("data") if isinstance(body, dict) else body
            if not isinstance(page, list):
                raise PayloadError("the purchase listing is not a list", system=self.name)
            found += [p for p in page if isinstance(p, dict)]
            if len(page) < PURCHASE_PAGE:
                return found
            offset += len(page)

    # -- our sync log, mirrored (connectors.history.SyncLogMirror) -----------------------------

    def mirrors_flow(self, flow: str) -> bool:
        return flow in DATA_TYPES

    async def log_full(
        self,
        flow: str,
        *,
        started: float | None,
        finished: float | None,
        errors: Sequence[tuple[str, str]],
    ) -> None:
        await self.sync_log.full(
            DATA_TYPES[flow],
            started=None if started is None else _when(started),
            finished=None if finished is None else _when(finished),
            errors=[LogError(item, message) for item, message in errors],
        )

    async def log_partial(
        self,
        flow: str,
        *,
        when: float | None,
        errors: Sequence[tuple[str, str]],
        resolved: Sequence[str],
    ) -> None:
        await self.sync_log.partial(
            DATA_TYPES[flow],
            when=None if when is None else _when(when),
            errors=[LogError(item, message) for item, message in errors],
            resolved=resolved,
        )

    async def forget_logs(self) -> None:
        await self.sync_log.forget()


def _when(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def build(spec: SystemSpec[SparkLayerSettings], gate: CallGate) -> SparkLayerChannel:
    return SparkLayerChannel(spec, gate)
