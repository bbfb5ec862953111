"""ShopifyChannel: the connector the daemon uses for a Shopify store (GraphQL Admin API).

Roles: ChannelConnector (products, stock), OrderSource (orders by updated_at),
CustomerDirectory (look-up by e-mail, creation), SettingsSource (the store currency), and a
customer change feed. ``spec.url`` is the shop's base URL (e.g.
``https://example.myshopify.com``); ``spec.settings`` is a ShopifySettings (settings.py:
``api_version``, ``location_map`` back-office location -> Shopify location name or id, ``bulk``
to use bulk operations for full reads, ``bulk_writes`` / ``bulk_write_min`` /
``bulk_write_batch`` for product writes through bulk mutations). Secret: ``access_token``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from syncwright.connectors.base import (
    CallGate,
    Capabilities,
    ChangeQuery,
    ListQuery,
    Page,
    SystemSpec,
)
from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.model import (
    Customer,
    Order,
    Product,
    StockLevel,
    StoreSettings,
    WriteResult,
)
from syncwright.connectors.shopify import queries, wire
from syncwright.connectors.shopify.bulk import bulk_products
from syncwright.connectors.shopify.bulk_write import BulkWriter, outcome
from syncwright.connectors.shopify.cost import MAX_QUERY_COST
from syncwright.connectors.shopify.inventory import Inventory
from syncwright.connectors.shopify.notices import Echoes
from syncwright.connectors.shopify.prices import PriceList, with_list_prices
from syncwright.connectors.shopify.settings import ShopifySettings
from syncwright.connectors.shopify.transport import ShopifyTransport
from syncwright.connectors.shopify.versions import features

#: Shopify's page limit.
MAX_PAGE = 250


class ShopifyChannel:
    kind = "shopify"
    capabilities = Capabilities(
        cursor="none",
        order_cursor="time",
        max_page_size=MAX_PAGE,
        product_batch_size=25,
        stock_batch_size=250,
        webhooks=True,
        price_list_name="Shopify Price",
        bulk_read=True,
    )

    def __init__(
        self,
        spec: SystemSpec[ShopifySettings],
        gate: CallGate,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = spec.name
        settings = spec.settings
        token = spec.secret("access_token")
        # The settings model refuses an unknown version; features() checks again (a settings
        # object built without validation), raising UnsupportedVersion, a ValueError.
        self.features = features(settings.api_version)
        mapping = dict(settings.location_map)
        self.use_bulk = settings.bulk
        self.t = ShopifyTransport(
            base_url=spec.url,
            version=settings.api_version,
            token=token,
            system=spec.name,
            gate=gate,
            timeout=spec.timeout,
            transport=transport,
        )
        self.inventory = Inventory(self.t, self.features, mapping, spec.name)
        self._resume: dict[tuple[str, str], str] = {}
        self.echoes = Echoes()  # what our product writes look like when they come back
        self.price_list = PriceList(self.t, self.capabilities.price_list_name)
        self.bulk_writer = BulkWriter(self.t, self.features, spec.name)
        self.bulk_write_min = settings.bulk_write_min if settings.bulk_writes else None
        if settings.bulk_writes:
            self.capabilities = replace(
                self.capabilities, product_batch_size=settings.bulk_write_batch
            )

    async def aclose(self) -> None:
        await self.t.aclose()

    # -- products -------------------------------------------------------------------------

    async def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]:
        """One productSet per product (10 points each), keyed by our source id, or one bulk
        mutation for a batch of at least ``bulk_write_min`` (what it did not run goes per
        call); then the written variants' prices onto the default price list (one call per
        250 prices)."""
        answers: dict[str, Any] = {}
        if self.bulk_write_min is not None and len(products) >= self.bulk_write_min:
            for product in products:  # each line's products/update webhook is our own echo
                self.echoes.sending(wire.product_set(product)["input"])
            answers = await self.bulk_writer.write(products, self._held_as)
        results = []
        prices: list[tuple[str, Decimal, Decimal | None]] = []
        for product in products:
            data = answers.get(product.external_id)
            if data is None:
                variables = wire.product_set(product)
                self.echoes.sending(variables["input"])
                data = await self.t.call(queries.PRODUCT_SET, variables)
            result, created = outcome(product, data, self.name)
            results.append(result)
            if created is not None:
                prices += _variant_prices(product, created)
        refusals = await self.price_list.write(prices)
        if refusals:  # recorded as errors, so the products are written again next time
            text = "price list: " + "; ".join(refusals)
            results = [
                r if not r.ok else WriteResult(external_id=r.external_id, error=text)
                for r in results
            ]
        return results

    async def _held_as(self, products: Sequence[Product]) -> set[str]:
        """The source ids of ``products`` that the shop holds exactly as given."""
        held = await self.read_products([p.external_id for p in products])
        return {
            p.external_id
            for p in products
            if p.external_id in held and held[p.external_id].content_hash() == p.content_hash()
        }

    async def ensure_price_list(self, name: str) -> str:
        """The PriceLists role: find the list by name or create it; its id."""
        if name != self.price_list.name:
            self.price_list = PriceList(self.t, name)
        return (await self.price_list.ensure()).id

    async def read_products(self, external_ids: Sequence[str]) -> dict[str, Product]:
        found: dict[str, Product] = {}
        nodes: dict[str, Any] = {}
        per = max(1, (MAX_QUERY_COST - 2) // self._cost_per_product())
        for start in range(0, len(external_ids), per):
            part = list(external_ids[start : start + per])
            variables = {f"v{i}": value for i, value in enumerate(part)}
            data = await self.t.call(queries.products_by_source(len(part)), variables)
            for i in range(len(part)):
                node = data.get(f"p{i}")
                if node is not None:
                    product = wire.product(node, self.name)
                    if product is not None:
                        found[product.external_id] = product
                        nodes[product.external_id] = node
        return await with_list_prices(self.price_list, found, nodes)

    async def bulk_products(self) -> list[Product] | None:
        """The BulkProductReader role: one bulk operation; None when Shopify refuses or fails
        it (e.g. another bulk query of this app is running)."""
        try:
            rows = await bulk_products(self.t, self.name)
        except PermanentError:
            return None
        if rows is None:
            return None
        return [p for p in (wire.product(r, self.name) for r in rows) if p is not None]

    async def all_products(self) -> list[Product]:
        """Every product of ours in the store: a bulk operation, or pages when that fails."""
        if self.use_bulk:
            try:
                rows = await bulk_products(self.t, self.name)
            except PermanentError:
                rows = None  # bulk refused (e.g. one already running): page instead
            if rows is not None:
                return [p for p in (wire.product(r, self.name) for r in rows) if p is not None]
        out: list[Product] = []
        after: str | None = None
        while True:
            data = await self.t.call(queries.PRODUCTS_PAGE, {"first": 7, "after": after})
            conn = _connection(data, "products", self.name)
            out += [p for p in (wire.product(n, self.name) for n in conn["nodes"]) if p]
            after = conn["pageInfo"].get("endCursor")
            if not conn["pageInfo"].get("hasNextPage") or not after:
                return out

    def _cost_per_product(self) -> int:
        return self.t.cost_of(queries.products_by_source(1), {"v0": "x"})

    # -- stock ----------------------------------------------------------------------------

    async def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        return await self.inventory.write(levels)

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        return await self.inventory.read(skus)

    async def sku_of_inventory_item(self, item_id: str) -> str | None:
        """The SKU of a Shopify inventory item: from what stock writes saw, else one call."""
        known = self.inventory.sku_by_item.get(item_id)
        if known is not None:
            return known
        data = await self.t.call(queries.INVENTORY_ITEM_SKU, {"id": item_id})
        item = data.get("inventoryItem")
        sku = item.get("sku") if isinstance(item, dict) else None
        return sku if isinstance(sku, str) and sku else None

    async def source_location(self, location_id: str) -> str | None:
        """The back office's name for a Shopify location (None: not in location_map)."""
        names = {gid: name for name, gid in (await self.inventory.locations()).items()}
        return names.get(location_id)

    # -- orders ---------------------------------------------------------------------------

    async def changed_orders(self, query: ChangeQuery) -> Page[Order]:
        """Orders by (updated_at, id), sortKey UPDATED_AT, cursor paging. Page size: the
        largest that fits Shopify's 1,000-point cap (at most 250)."""
        first = self._page_size(queries.ORDERS, query.limit)
        since = query.after[0] if query.after else query.since
        search = f"updated_at:>='{since}'" if since else None
        after = self._resume.pop(query.after, None) if query.after else None
        items: list[Order] = []
        while True:
            data = await self.t.call(
                queries.ORDERS,
                {"first": first, "after": after, "query": search, "sortKey": "UPDATED_AT"},
            )
            conn = _connection(data, "orders", self.name)
            for node in conn["nodes"]:
                order = wire.order(node, self.name)
                if query.after is None or _key(order) > _cmp(query.after):
                    items.append(order)
            more = bool(conn["pageInfo"].get("hasNextPage"))
            after = conn["pageInfo"].get("endCursor")
            if items or not more or not after:
                break
        last = (_token(items[-1]), items[-1].external_id) if items else query.after
        if more and after and last is not None:
            self._resume[last] = after
            while len(self._resume) > 64:
                self._resume.pop(next(iter(self._resume)))
        return Page(items, last, complete=not more)

    async def list_orders(self, query: ListQuery) -> Page[Order]:
        first = self._page_size(queries.ORDERS, query.limit)
        search = f"id:>{query.after}" if query.after else None
        data = await self.t.call(
            queries.ORDERS, {"first": first, "after": None, "query": search, "sortKey": "ID"}
        )
        conn = _connection(data, "orders", self.name)
        items = [wire.order(node, self.name) for node in conn["nodes"]]
        last = (_token(items[-1]), items[-1].external_id) if items else None
        return Page(items, last, complete=not conn["pageInfo"].get("hasNextPage"))

    async def get_order(self, external_id: str) -> Order | None:
        data = await self.t.call(queries.ORDER, {"id": wire.gid("Order", external_id)})
        node = data.get("order")
        return None if node is None else wire.order(node, self.name)

    # -- customers ------------------------------------------------------------------------

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        if not email:
            return []  # Shopify has no accounting id
        data = await self.t.call(
            queries.CUSTOMERS, {"first": 10, "after": None, "query": f"email:{email}"}
        )
        conn = _connection(data, "customers", self.name)
        found = [wire.customer(node, self.name) for node in conn["nodes"]]
        return [c for c in found if (c.email or "").lower() == email.lower()]

    async def create_customer(self, customer: Customer) -> str:
        data = await self.t.call(queries.CUSTOMER_CREATE, wire.customer_input(customer))
        answer = data.get("customerCreate") or {}
        if answer.get("userErrors"):
            raise PermanentError(
                f"customerCreate refused: {answer['userErrors']}", system=self.name
            )
        created = answer.get("customer")
        if not isinstance(created, dict):
            raise PayloadError("customerCreate answer without a customer", system=self.name)
        return str(created.get("legacyResourceId") or wire.legacy_id(str(created.get("id"))))

    async def changed_customers(self, query: ChangeQuery) -> Page[Customer]:
        """Customers changed since ``since``. Shopify's customer updated_at filter matches
        whole days, so we ask from the start of that day and drop what is older ourselves."""
        since = query.after[0] if query.after else query.since
        search = f"updated_at:>='{since[:10]}'" if since else None
        first = min(query.limit, MAX_PAGE)
        after = self._resume.pop(query.after, None) if query.after else None
        bound = _parse(since) if since else None
        items: list[Customer] = []
        # A page whose customers are all older than the bound (the day filter lets them in)
        # is not the end: read on until one is kept or Shopify says nothing more exists.
        while True:
            data = await self.t.call(
                queries.CUSTOMERS, {"first": first, "after": after, "query": search}
            )
            conn = _connection(data, "customers", self.name)
            for node in conn["nodes"]:
                customer = wire.customer(node, self.name)
                when = customer.modified_at
                if bound is not None and when is not None and when < bound:
                    continue
                key = (_iso(when), customer.external_id)
                if query.after is None or _cmp(key) > _cmp(query.after):
                    items.append(customer)
            more = bool(conn["pageInfo"].get("hasNextPage"))
            after = conn["pageInfo"].get("endCursor")
            if items or not more or not after:
                break
        last = (_iso(items[-1].modified_at), items[-1].external_id) if items else query.after
        if more and after and last is not None:
            self._resume[last] = after
        return Page(items, last, complete=not more)

    # -- settings -------------------------------------------------------------------------

    async def get_settings(self) -> StoreSettings:
        data = await self.t.call(queries.SHOP)
        shop = data.get("shop")
        if not isinstance(shop, dict) or not isinstance(shop.get("currencyCode"), str):
            raise PayloadError("shop answer without currencyCode", system=self.name)
        return StoreSettings(currency=shop["currencyCode"], name=str(shop.get("name") or ""))

    def _page_size(self, document: str, wanted: int) -> int:
        per = self.t.cost_of(document, {"first": 1}) - 2
        return max(1, min(wanted, MAX_PAGE, (MAX_QUERY_COST - 2) // max(per, 1)))


def _variant_prices(
    product: Product, created: Mapping[str, Any]
) -> list[tuple[str, Decimal, Decimal | None]]:
    """(variant gid, price, compare-at price) of a product just written, matched by SKU."""
    nodes = (created.get("variants") or {}).get("nodes") or []
    ids = {n.get("sku"): n.get("id") for n in nodes if isinstance(n, dict)}
    return [
        (str(ids[v.sku]), v.price, v.rrp)
        for v in product.variants
        if v.price is not None and v.sku and ids.get(v.sku)
    ]


def _connection(data: Mapping[str, Any], name: str, system: str) -> dict[str, Any]:
    conn = data.get(name)
    if not isinstance(conn, dict) or not isinstance(conn.get("nodes"), list):
        raise PayloadError(f"{name} answer without nodes", system=system)
    conn.setdefault("pageInfo", {})
    return conn


def _token(order: Order) -> str:
    return _iso(order.modified_at)


def _iso(when: datetime | None) -> str:
    if when is None:
        return ""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise PermanentError(f"cannot read change token {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _key(order: Order) -> tuple[str, int]:
    return _cmp((_token(order), order.external_id))


def _cmp(key: tuple[str, str]) -> tuple[str, int]:
    token, ident = key
    try:
        when = _iso(_parse(token)) if token else ""
    except PermanentError:
        when = token
    return when, int(ident) if ident.isdigit() else 0


def build(spec: SystemSpec[ShopifySettings], gate: CallGate) -> ShopifyChannel:
    """The ``shopify`` kind's factory (connectors/registry.py)."""
    return ShopifyChannel(spec, gate)
