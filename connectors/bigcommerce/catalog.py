"""Products on a BigCommerce store: writes as a channel (only what differs, at the real batch
limits) and reads as either role.

Writes: one ``sku:in`` read per 250 products finds what the store holds (our id is the product
SKU, settings.id_prefix); a new product is one ``POST`` with its variants; a changed one joins
a batch ``PUT /v3/catalog/products`` of 10 (its 207 answer read item by item) and its changed
variants a batch ``PUT /v3/catalog/variants`` of 50; a variant added or whose options changed is
created (and the old one deleted) one call each, as BigCommerce keys variants by option values.
A product already equal to what is wanted costs nothing beyond the read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from syncwright.connectors.bigcommerce import wire
from syncwright.connectors.bigcommerce.transport import MAX_PAGE, Transport, chunks
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Product, Variant, WriteResult

PRODUCTS = "/v3/catalog/products"
PRODUCT_BATCH = 10
VARIANT_BATCH = 50
INCLUDE = "variants,custom_fields"


class Catalog:
    def __init__(self, t: Transport, prefix: str, unit: str, discontinued: str) -> None:
        self.t = t
        self.prefix = prefix
        self.unit = unit
        self.discontinued = discontinued
        #: SKU -> BigCommerce variant id, from every read and write.
        self.variant_ids: dict[str, int] = {}

    def channel_product(self, row: dict[str, Any]) -> Product:
        self._learn(row)
        return wire.product(row, prefix=self.prefix, unit=self.unit, system=self.t.system)

    def source_product(self, row: dict[str, Any]) -> Product:
        self._learn(row)
        return wire.product(row, prefix=None, unit=self.unit, system=self.t.system)

    def _learn(self, row: dict[str, Any]) -> None:
        for v in row.get("variants") or []:
            if isinstance(v, dict) and v.get("sku") and isinstance(v.get("id"), int):
                self.variant_ids[str(v["sku"])] = v["id"]

    async def held(self, external_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The store's rows of our products, by our id (one call per 250)."""
        out: dict[str, dict[str, Any]] = {}
        for part in chunks(sorted(set(external_ids)), MAX_PAGE):
            skus = ",".join(self.prefix + e for e in part)
            page = await self.t.v3_page(
                PRODUCTS, {"sku:in": skus, "include": INCLUDE, "limit": MAX_PAGE}
            )
            for row in page.data:
                sku = str(row.get("sku") or "")
                if sku.startswith(self.prefix):
                    out[sku[len(self.prefix) :]] = row
        return out

    async def read(self, external_ids: Sequence[str]) -> dict[str, Product]:
        return {e: self.channel_product(r) for e, r in (await self.held(external_ids)).items()}

    async def upsert(self, products: Sequence[Product]) -> tuple[list[WriteResult], list[Variant]]:
        """One result per product, and the variants written (for the price list)."""
        rows = await self.held([p.external_id for p in products])
        errors: dict[str, str] = {}
        ids: dict[str, int] = {}
        batch: list[dict[str, Any]] = []
        variant_batch: list[tuple[str, dict[str, Any]]] = []
        written: list[Variant] = []
        gone: list[str] = []
        for product in products:
            row = rows.get(product.external_id)
            if product.status == "discontinued" and self.discontinued == "delete":
                if row is not None:
                    gone.append(str(row["id"]))
                continue
            if row is None:
                error = await self._create(product, ids)
                if error:
                    errors[product.external_id] = error
                else:
                    written += product.variants
                continue
            ids[product.external_id] = row["id"]
            have = self.channel_product(row)
            if have.content_hash() == product.content_hash():
                continue
            body = wire.product_body(product, self.prefix, self.unit)
            if any(f.get("name") == wire.TITLE_FIELD for f in row.get("custom_fields") or []):
                wire.unique_name(body, product)  # its name was made unique on create
            if _product_differs(body, row):
                batch.append({"id": row["id"], **body})
            error = await self._variants(product, row, variant_batch)
            if error:
                errors[product.external_id] = error
            written += product.variants
        by_id = {v: k for k, v in ids.items()}
        for part in chunks(batch, PRODUCT_BATCH):
            for pid, error in (await self._batch(PRODUCTS, part)).items():
                errors[by_id.get(pid, "")] = error
        for vpart in chunks(variant_batch, VARIANT_BATCH):
            owner = {body["id"]: ext for ext, body in vpart}
            failed = await self._batch("/v3/catalog/variants", [b for _, b in vpart])
            for vid, error in failed.items():
                errors[owner.get(vid, "")] = error
        for gpart in chunks(gone, MAX_PAGE):
            await self.t.call("DELETE", PRODUCTS, params={"id:in": ",".join(gpart)})
        results = [
            WriteResult(
                external_id=p.external_id,
                remote_id=str(ids[p.external_id]) if p.external_id in ids else None,
                error=errors.get(p.external_id),
            )
            for p in products
        ]
        ok = {r.external_id for r in results if r.ok}
        return results, [
            v for p in products if p.external_id in ok for v in p.variants if v in written
        ]

    async def _create(self, product: Product, ids: dict[str, int]) -> str | None:
        body = wire.product_body(product, self.prefix, self.unit)
        body["variants"] = [wire.variant_body(v, self.unit) for v in product.variants]
        try:
            row = await self.t.v3_data("POST", PRODUCTS, body)
        except PermanentError as exc:
            if exc.status != 409:
                return str(exc)
            # Created by an earlier attempt whose answer was lost, or a name/SKU clash: the
            # store's own uniqueness decides; read, and make a clashing name unique.
            again = await self.held([product.external_id])
            if product.external_id in again:
                ids[product.external_id] = again[product.external_id]["id"]
                self._learn(again[product.external_id])
                return None
            if "name" not in str(exc).lower():
                return str(exc)
            wire.unique_name(body, product)
            try:
                row = await self.t.v3_data("POST", PRODUCTS, body)
            except PermanentError as second:
                return str(second)
        ids[product.external_id] = row["id"]
        self._learn(row)
        return None

    async def _variants(
        self, product: Product, row: dict[str, Any], batch: list[tuple[str, dict[str, Any]]]
    ) -> str | None:
        have = {str(v.get("sku")): v for v in row.get("variants") or [] if isinstance(v, dict)}
        want = {v.sku: v for v in product.variants if v.sku}
        pid = row["id"]
        for sku, variant in want.items():
            body = wire.variant_body(variant, self.unit)
            old = have.get(sku)
            if old is not None and _options(old) == _options(body):
                if any(
                    _differs(body.get(k), old.get(k))
                    for k in ("price", "retail_price", "weight", "image_url")
                ):
                    batch.append((product.external_id, {"id": old["id"], **body}))
                continue
            if old is not None:
                await self.t.call("DELETE", f"{PRODUCTS}/{pid}/variants/{old['id']}")
            try:
                made = await self.t.v3_data("POST", f"{PRODUCTS}/{pid}/variants", body)
            except PermanentError as exc:
                return str(exc)
            self.variant_ids[sku] = made["id"]
        for sku, old in have.items():
            if sku not in want:
                await self.t.call("DELETE", f"{PRODUCTS}/{pid}/variants/{old['id']}")
        return None

    async def _batch(self, path: str, items: list[dict[str, Any]]) -> dict[int, str]:
        """A batch PUT; the ids it refused (a 207 or 422 names them) with the reason."""
        try:
            answer = await self.t.call("PUT", path, body=items)
        except PermanentError as exc:
            return {int(i["id"]): str(exc) for i in items}
        failed: dict[int, str] = {}
        for err in (answer or {}).get("errors") or [] if isinstance(answer, dict) else []:
            ident = (err.get("errors") or {}).get("id") if isinstance(err, dict) else None
            if ident is not None and str(ident).isdigit():
                failed[int(ident)] = wire.error_text(err)
        return failed


def _options(variant: dict[str, Any]) -> dict[str, str]:
    return {
        str(o.get("option_display_name")): str(o.get("label"))
        for o in variant.get("option_values") or []
    }


def _differs(want: Any, have: Any) -> bool:
    if want in (None, "") and have in (None, ""):
        return False
    try:
        return float(want) != float(have)
    except (TypeError, ValueError):
        return str(want) != str(have)


def _product_differs(body: dict[str, Any], row: dict[str, Any]) -> bool:
    fields = {
        f.get("name"): f.get("value")
        for f in row.get("custom_fields") or []
        if str(f.get("name", "")).startswith(wire.FIELD_PREFIX)
    }
    return (
        body["name"] != row.get("name")
        or body["is_visible"] != row.get("is_visible")
        or body["custom_url"]["url"] != (row.get("custom_url") or {}).get("url")
        or {f["name"]: f["value"] for f in body["custom_fields"]} != fields
        or _differs(body["price"], row.get("price"))
    )
