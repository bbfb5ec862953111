"""Connector clients for the sandbox back office (a SourceConnector) and sandbox shop (a Channel).

Build them with ``build_erp(spec, gate)`` / ``build_shop(spec, gate)``. ``spec.settings`` holds
``url`` and optionally ``timeout`` (seconds); the shop also takes ``location_map`` (back-office
location -> shop location). ``spec.secrets["api_key"]`` is the Bearer key.

Page keys are ``(modified_at, id)`` as the back office sends them; a listing's key carries the
id in the same place, so ``ListQuery(after=page.last_key[1])`` asks for the next page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from connectors.base import (
    CallGate,
    Capabilities,
    ChangeQuery,
    ListQuery,
    Page,
    SystemSpec,
)
from connectors.errors import PayloadError, PermanentError
from connectors.http import JsonClient
from connectors.model import Product, StockLevel, WriteResult
from connectors.sandbox.wire import Obj, erp_product, erp_stock, page_body, shop_product

T = TypeVar("T")
#: SKUs or ids per lookup: keeps URLs short (uvicorn refuses request heads over 16 KiB).
LOOKUP_CHUNK = 200


class _Sandbox:
    def __init__(
        self, spec: SystemSpec, gate: CallGate, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        url = spec.settings.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"system {spec.name!r}: settings.url must be an http(s) URL")
        key = spec.secrets.get("api_key")
        if not key:
            raise ValueError(f"system {spec.name!r}: secrets.api_key is required")
        timeout = spec.settings.get("timeout", 30.0)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise ValueError(f"system {spec.name!r}: settings.timeout must be a positive number")
        self.kind = spec.kind
        self.name = spec.name
        self.http = JsonClient(
            url.rstrip("/"),
            system=spec.name,
            gate=gate,
            headers={"Authorization": f"Bearer {key}"},
            timeout=float(timeout),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _get(self, path: str, **params: Any) -> Any:
        return await self.http.request("GET", path, params=params)

    def _chunks(self, values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
        for start in range(0, len(values), size):
            yield values[start : start + size]

    def _joined(self, values: Sequence[str], what: str) -> str:
        if any("," in value for value in values):
            raise PermanentError(
                f"a {what} containing ',' cannot be looked up in the sandbox", system=self.name
            )
        return ",".join(values)


class SandboxErp(_Sandbox):
    """The sandbox back office: changes by (modified_at, id), listings by id."""

    capabilities = Capabilities(cursor="time", max_page_size=1000, price_list_name="Sandbox Price")

    async def changed_products(self, query: ChangeQuery) -> Page[Product]:
        body = await self._get("/api/products/changes", **self._change_params(query))
        items, after = page_body(body, "product changes", self.name)
        mapped = [erp_product(item, self.name) for item in items]
        last = (mapped[-1][1], str(mapped[-1][2])) if mapped else None
        return Page([product for product, _, _ in mapped], last, complete=after is None)

    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]:
        body = await self._get("/api/stock/changes", **self._change_params(query))
        items, after = page_body(body, "stock changes", self.name)
        mapped = [erp_stock(item, self.name) for item in items]
        last = (mapped[-1][1], str(mapped[-1][2])) if mapped else None
        return Page([level for level, _, _ in mapped], last, complete=after is None)

    async def list_products(self, query: ListQuery) -> Page[Product]:
        body = await self._get("/api/products", after_id=query.after, limit=self._limit(query))
        items, after = page_body(body, "product listing", self.name)
        mapped = [erp_product(item, self.name) for item in items]
        last = (mapped[-1][1], str(mapped[-1][2])) if mapped else None
        return Page([product for product, _, _ in mapped], last, complete=after is None)

    async def list_stock(self, query: ListQuery) -> Page[StockLevel]:
        body = await self._get("/api/stock", after_id=query.after, limit=self._limit(query))
        items, after = page_body(body, "stock listing", self.name)
        mapped = [erp_stock(item, self.name) for item in items]
        last = (mapped[-1][1], str(mapped[-1][2])) if mapped else None
        return Page([level for level, _, _ in mapped], last, complete=after is None)

    async def get_product(self, id_or_sku: str) -> Product | None:
        """By id when it is all digits (falling back to SKU), else by SKU; None if unknown."""
        paths = [f"/api/products/{id_or_sku}"] if id_or_sku.isdigit() else []
        paths.append(f"/api/products/by-sku/{quote(id_or_sku, safe='')}")
        for path in paths:
            try:
                body = await self._get(path)
            except PermanentError as exc:
                if exc.status == 404:
                    continue
                raise
            return erp_product(body, self.name)[0]
        return None

    async def get_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        levels: list[StockLevel] = []
        for part in self._chunks(skus, LOOKUP_CHUNK):
            body = await self._get("/api/stock/by-sku", skus=self._joined(part, "SKU"))
            levels += [
                erp_stock(item, self.name)[0]
                for item in Obj(body, "stock lookup", self.name).array("items")
            ]
        return levels

    def _change_params(self, query: ChangeQuery) -> dict[str, Any]:
        after_modified, after_id = query.after if query.after is not None else (None, None)
        return {
            "since": query.since,
            "after_modified": after_modified,
            "after_id": after_id,
            "limit": min(query.limit, self.capabilities.max_page_size),
        }

    def _limit(self, query: ListQuery) -> int:
        return min(query.limit, self.capabilities.max_page_size)


class SandboxShop(_Sandbox):
    """The sandbox shop: batched product upserts and stock writes, read-back for verification."""

    capabilities = Capabilities(
        cursor="none", product_batch_size=100, stock_batch_size=250, price_list_name="Sandbox Price"
    )

    def __init__(
        self, spec: SystemSpec, gate: CallGate, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        super().__init__(spec, gate, transport=transport)
        mapping = spec.settings.get("location_map", {})
        if not isinstance(mapping, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise ValueError(
                f"system {spec.name!r}: settings.location_map must map location "
                "names to location names"
            )
        self.location_map: dict[str, str] = dict(mapping)
        self._back = {shop: source for source, shop in self.location_map.items()}

    async def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for part in self._chunks(products, self.capabilities.product_batch_size):
            body = await self.http.request(
                "PUT",
                "/api/products/batch",
                json_body={"products": [product.model_dump(mode="json") for product in part]},
            )
            for product, raw in zip(part, self._results(body, len(part)), strict=True):
                item = Obj(raw, f"result for product {product.external_id}", self.name)
                error = item.opt_text("error")
                results.append(
                    WriteResult(
                        external_id=product.external_id,
                        error=error,
                        remote_id=None if error else item.text("id"),
                    )
                )
        return results

    async def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        """Write quantities; results are keyed ``"sku|location"`` by the source's location."""
        results: list[WriteResult] = []
        for part in self._chunks(levels, self.capabilities.stock_batch_size):
            wire = [
                {
                    "sku": level.sku,
                    "location": self.location_map.get(level.location, level.location),
                    "quantity": level.quantity,
                }
                for level in part
            ]
            body = await self.http.request("POST", "/api/inventory/set", json_body={"levels": wire})
            for level, sent, raw in zip(part, wire, self._results(body, len(part)), strict=True):
                item = Obj(raw, f"result for stock {level.sku}", self.name)
                error = item.opt_text("error")
                results.append(
                    WriteResult(
                        external_id=f"{level.sku}|{level.location}",
                        error=error,
                        remote_id=None if error else f"{level.sku}|{sent['location']}",
                    )
                )
        return results

    async def read_products(self, external_ids: Sequence[str]) -> dict[str, Product]:
        found: dict[str, Product] = {}
        for part in self._chunks(external_ids, LOOKUP_CHUNK):
            body = await self._get("/api/products", external_ids=self._joined(part, "product id"))
            for item in Obj(body, "product lookup", self.name).array("items"):
                product = shop_product(item, self.name)
                found[product.external_id] = product
        return found

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """Quantities the shop holds, with locations named as the source names them."""
        levels: list[StockLevel] = []
        for part in self._chunks(skus, LOOKUP_CHUNK):
            body = await self._get("/api/inventory", skus=self._joined(part, "SKU"))
            for raw in Obj(body, "inventory lookup", self.name).array("items"):
                item = Obj(raw, "inventory row", self.name)
                location = item.text("location")
                levels.append(
                    StockLevel(
                        sku=item.text("sku"),
                        quantity=item.integer("quantity"),
                        location=self._back.get(location, location),
                    )
                )
        return levels

    def _results(self, body: Any, expected: int) -> list[Any]:
        results = Obj(body, "batch answer", self.name).array("results")
        if len(results) != expected:
            raise PayloadError(
                f"batch answer holds {len(results)} results for {expected} items", system=self.name
            )
        return results


def build_erp(spec: SystemSpec, gate: CallGate) -> SandboxErp:
    return SandboxErp(spec, gate)


def build_shop(spec: SystemSpec, gate: CallGate) -> SandboxShop:
    return SandboxShop(spec, gate)
