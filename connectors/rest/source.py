"""The reading half of the ``rest`` connector: products, stock and customers by the manifest.

Change pages ask for ``since`` (inclusive, in the platform's format) on the first page and
follow the platform's paging after it; the key of a page's last item is (its change token,
the position of the next page), so a pass resumes where the platform said it goes on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel

from syncwright.connectors.base import (
    CallGate,
    Capabilities,
    ChangeQuery,
    ListQuery,
    Page,
    SystemSpec,
)
from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.model import Customer, Product, StockLevel
from syncwright.connectors.rest import paging, resume
from syncwright.connectors.rest.auth import ManifestAuth
from syncwright.connectors.rest.http import RestError, RestHttp
from syncwright.connectors.rest.manifest import Entity, EntityName, Manifest, Request
from syncwright.connectors.rest.mapping import Mapped, Mapper, since_param
from syncwright.connectors.rest.settings import RestSettings

R = TypeVar("R", bound=BaseModel)
#: SKUs per look-up request (keeps URLs short).
LOOKUP_CHUNK = 100
_CURSORS = {"modified_since": "time", "version": "version", "none": "none"}


def fill(template: str, values: dict[str, str]) -> str:
    """A path with its ``{name}`` placeholders filled, each URL-quoted."""
    return template.format_map({k: quote(v, safe="") for k, v in values.items()})


def fill_params(request: Request, values: dict[str, str]) -> dict[str, Any]:
    """A request's query parameters with their placeholders filled (httpx quotes them)."""
    return {k: v.format_map(values) if isinstance(v, str) else v for k, v in request.params.items()}


class RestSource:
    """A JSON HTTP back office described by a manifest: the source role."""

    kind = "rest"

    def __init__(self, spec: SystemSpec[RestSettings], gate: CallGate, **client: Any) -> None:
        self.name = spec.name
        self.manifest: Manifest = spec.settings.manifest
        products = self.manifest.entities["products"]
        cursor = _CURSORS[products.feed.style]
        self.capabilities = Capabilities(
            cursor=cursor,  # type: ignore[arg-type]
            max_page_size=min(e.max_page for e in self.manifest.entities.values()),
            price_list_name=f"{self.manifest.name} Price",
        )
        self.http = RestHttp(
            spec.url.rstrip("/"), system=spec.name, gate=gate, timeout=spec.timeout, **client
        )
        self.http.manifest = self.manifest
        self.auth = ManifestAuth(self.manifest.auth, spec.secrets.get("secret", ""))
        self.http._client.auth = self.auth
        self.mappers: dict[str, Mapper[Any]] = {}
        for name, model in (("products", Product), ("stock", StockLevel), ("customers", Customer)):
            if name in self.manifest.entities:
                entity = self.manifest.entities[name]
                self.mappers[name] = Mapper(entity, model, spec.name, name.rstrip("s"))

    async def aclose(self) -> None:
        await self.http.aclose()

    # -- reading pages ---------------------------------------------------------------------

    async def fetch_page(
        self, name: EntityName, query: ChangeQuery | ListQuery
    ) -> tuple[list[Mapped[Any]], str | None, Any]:
        """One page of entity ``name``: its mapped records, the next position, the body."""
        entity = self.manifest.entities[name]
        limit = min(query.limit, entity.max_page)
        anchor = None
        if isinstance(query, ChangeQuery) and entity.changes is not None:
            request = entity.changes
            params: dict[str, Any] = dict(request.params)
            since = query.since
            position = None if query.after is None else query.after[1]
            if entity.feed.resume == "since" and position is not None:
                anchor = resume.decode(position)
                since, position = anchor.since or None, anchor.pos
            if since is not None and entity.feed.style != "none":
                params[entity.feed.param] = since_param(since, entity.feed)
        else:
            request = entity.listing
            params = dict(request.params)
            position = query.after if isinstance(query, ListQuery) else None
            if isinstance(query, ChangeQuery) and query.after is not None:
                position = query.after[1]
        step = paging.first_or_next(entity.paging, request.path, params, position, limit)
        response = await self.http.send(request.method, step.path, step.params)
        body = self.http.decode(request.method, step.path, response)
        mapper = self.mappers[name]
        raws = mapper.records(body, request.records)
        follow = paging.next_position(entity.paging, position, body, response, len(raws), limit)
        mapped = [mapper.one(raw) for raw in raws]
        if isinstance(query, ChangeQuery) and entity.feed.resume == "since":
            version = entity.feed.style == "version"
            ahead = resume.next_anchor(mapped, anchor, query.since, follow)
            mapped = resume.fresh(mapped, anchor, version)
            follow = None if ahead is None else ahead.encode()
        return mapped, follow, body

    async def _page(self, name: EntityName, query: ChangeQuery | ListQuery) -> Page[Any]:
        mapped, follow, _ = await self.fetch_page(name, query)
        records = [m.record for m in mapped]
        if follow is None:
            last = (mapped[-1].token, mapped[-1].id) if mapped else None
            return Page(records, last, complete=True)
        last = (mapped[-1].token, follow) if mapped else None
        return Page(records, last, complete=False, next_key=("", follow))

    async def changed_products(self, query: ChangeQuery) -> Page[Product]:
        return await self._page("products", query)

    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]:
        return await self._page("stock", query)

    async def list_products(self, query: ListQuery) -> Page[Product]:
        return await self._page("products", query)

    async def list_stock(self, query: ListQuery) -> Page[StockLevel]:
        return await self._page("stock", query)

    async def list_product_ids(self, query: ListQuery) -> Page[str]:
        """Live product ids, read from the listing (ProductIdLister)."""
        page = await self.list_products(query)
        ids = [p.external_id for p in page.items if p.status == "live"]
        return Page(ids, page.last_key, page.complete, page.next_key)

    # -- look-ups --------------------------------------------------------------------------

    async def get_product(self, id_or_sku: str) -> Product | None:
        entity = self.manifest.entities["products"]
        tries: list[tuple[Request, dict[str, str]]] = []
        pattern = entity.id_pattern
        if entity.by_id is not None and (pattern is None or re.fullmatch(pattern, id_or_sku)):
            tries.append((entity.by_id, {"id": id_or_sku}))
        if entity.by_sku is not None:
            tries.append((entity.by_sku, {"sku": id_or_sku}))
        for request, values in tries:
            for raw in await self.lookup("products", request, values):
                product: Product = self.mappers["products"].one(raw).record
                if values.get("id") == product.external_id or any(
                    v.sku == id_or_sku for v in product.variants
                ):
                    return product
        return None

    async def get_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        entity = self.manifest.entities["stock"]
        if entity.by_skus is None:
            raise PermanentError("the manifest describes no stock look-up by SKU", system=self.name)
        wanted = set(skus)
        levels: list[StockLevel] = []
        for start in range(0, len(skus), LOOKUP_CHUNK):
            joined = entity.join.join(skus[start : start + LOOKUP_CHUNK])
            for raw in await self.lookup("stock", entity.by_skus, {"skus": joined}):
                level: StockLevel = self.mappers["stock"].one(raw).record
                if level.sku in wanted:
                    levels.append(level)
        return levels

    async def lookup(self, name: str, request: Request, values: dict[str, str]) -> list[Any]:
        """The raw records a look-up answers; a 404 is none."""
        path = fill(request.path, values)
        params = fill_params(request, values)
        try:
            body = await self.http.json(request.method, path, params)
        except RestError as exc:
            if exc.status == 404:
                return []
            raise
        if body is None:
            return []
        return self.mappers[name].records(body, request.records, page=False)

    def entity(self, name: EntityName) -> Entity:
        found = self.manifest.entities.get(name)
        if found is None:
            raise PayloadError(f"the manifest has no entity {name!r}", system=self.name)
        return found
