"""Products and stock in Oscar: one standalone Oscar product per variant, one stock record each.

Identity: the Oscar product's UPC is ``<product id>:<variant id>`` of the back office (UPCs are
unique in Oscar), its stock record, held by the configured partner, has the SKU as
``partner_sku`` (order lines carry it), the price and the quantity. A product already in Oscar
whose stock record has the SKU (made in Oscar before the back office had it) is adopted: it
is given our UPC instead of a second product with the same SKU, which Oscar would refuse.
A product with several variants gets a slug per variant (``<handle>-<variant id>``).
Reading back groups the Oscar products by the part of the UPC before the colon.

Stock: Oscar keeps ``num_in_stock`` (physically there) and ``num_allocated`` (ordered, not yet
shipped); it sells ``num_in_stock - num_allocated``. The back office already deducts an order
once it is posted there (Tryton's forecast quantity), so the quantity it sends is what may be
sold: we write ``num_in_stock = quantity + num_allocated``, and read back
``num_in_stock - num_allocated``. An order is then never counted twice, and when Oscar ships
it (consuming the allocation from both numbers) what it sells does not move.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from syncwright.connectors.errors import ConnectorError, PermanentError
from syncwright.connectors.model import Product, StockLevel, Variant, WriteResult
from syncwright.connectors.oscar import extra
from syncwright.connectors.oscar.api import OscarHttp, id_of, money, number, text
from syncwright.connectors.oscar.index import OscarIndex

CENT = Decimal("0.01")


class OscarCatalog:
    def __init__(
        self,
        http: OscarHttp,
        system: str,
        *,
        partner: str,
        product_class: str,
        currency: str,
        warehouse: str,
        add_allocated: bool,
        relist_after: float = 600.0,
    ) -> None:
        self.http = http
        self.system = system
        self.partner_code = partner
        self.product_class = product_class
        self.currency = currency
        self.warehouse = warehouse
        self.add_allocated = add_allocated
        self._partner_url: str | None = None
        self.index = OscarIndex(system, relist_after=relist_after)

    async def partner_url(self) -> str:
        if self._partner_url is None:
            for row in await self.http.all("/api/admin/partners/", "partner listing"):
                if row.get("code") == self.partner_code:
                    self._partner_url = text(row, "url", "partner", self.system)
                    break
            else:
                raise ConnectorError(
                    f"Oscar has no partner with code {self.partner_code!r}; create it in the "
                    "dashboard (Fulfilment > Partners) or fix settings.partner",
                    system=self.system,
                )
        return self._partner_url

    async def relist(self) -> bool:
        """Read the whole catalogue into the index, unless it was read too recently."""
        if not self.index.may_relist():
            return False
        rows = await self.http.all("/api/admin/products/", "product listing")
        self.index.replace(rows, await self.partner_url())
        return True

    async def _fetch(self, upc: str) -> dict[str, Any] | None:
        """The product with this UPC, read fresh through its known address (None: gone)."""
        row = self.index.by_upc.get(upc)
        if row is None:
            return None
        try:
            fresh = await self.http.request("GET", text(row, "url", upc, self.system))
        except PermanentError as exc:
            if exc.status == 404:
                self.index.forget(upc)
                return None
            raise
        if not isinstance(fresh, dict) or fresh.get("upc") != upc:
            self.index.forget(upc)
            return None
        self.index.learn(fresh, await self.partner_url())
        return fresh

    async def _fetch_record(self, sku: str) -> dict[str, Any] | None:
        record = self.index.records.get(sku)
        if record is None:
            return None
        try:
            fresh = await self.http.request("GET", text(record, "url", sku, self.system))
        except PermanentError as exc:
            if exc.status == 404:
                self.index.records.pop(sku, None)
                self.index.owner.pop(sku, None)
                return None
            raise
        if not isinstance(fresh, dict) or fresh.get("partner_sku") != sku:
            self.index.records.pop(sku, None)
            return None
        self.index.learn_record(sku, fresh)
        return fresh

    # -- products ---------------------------------------------------------------------------

    async def upsert(self, products: Sequence[Product]) -> list[WriteResult]:
        partner = await self.partner_url()
        results = []
        for product in products:
            try:
                ids = [
                    await self._write_variant(partner, product, variant)
                    for variant in product.variants
                ]
                wanted = {self._upc(product, v) for v in product.variants}
                for upc in self.index.upcs_of(product.external_id):
                    row = self.index.by_upc[upc]
                    if upc not in wanted and row.get("is_public") is not False:
                        # a variant gone from the back office: hidden, not deleted
                        hidden = await self.http.request(
                            "PATCH",
                            text(row, "url", upc, self.system),
                            json_body={"is_public": False},
                        )
                        if isinstance(hidden, dict):
                            self.index.learn(hidden, partner)
            except ConnectorError as exc:
                if not _permanent(exc):
                    raise
                results.append(WriteResult(external_id=product.external_id, error=str(exc)))
                continue
            results.append(
                WriteResult(external_id=product.external_id, remote_id=",".join(ids) or None)
            )
        return results

    def _upc(self, product: Product, variant: Variant) -> str:
        return f"{product.external_id}:{variant.external_id}"

    async def _look_up(self, upc: str, sku: str) -> dict[str, Any] | None:
        """The Oscar product holding this UPC or SKU when the index does not know it: asks
        Oscar by UPC (a PATCH naming only the UPC answers the product, or 404), then, for a
        product made in Oscar with this SKU, relists the catalogue (rate-limited)."""
        try:
            row = await self.http.request("PATCH", "/api/admin/products/", json_body={"upc": upc})
        except PermanentError as exc:
            if exc.status != 404:
                raise
            row = None
        if isinstance(row, dict) and row.get("upc") == upc:
            self.index.learn(row, await self.partner_url())
            return row
        if await self.relist():
            return self.index.by_upc.get(upc) or self.index.owner.get(sku)
        return None

    async def _create(
        self, partner: str, upc: str, sku: str, fields: dict[str, Any], price: str
    ) -> dict[str, Any]:
        body = {
            **fields,
            "upc": upc,
            "product_class": self.product_class,
            "structure": "standalone",
            "stockrecords": [
                {
                    "partner": partner,
                    "partner_sku": sku,
                    "price": price,
                    "price_currency": self.currency,
                    "num_in_stock": 0,
                }
            ],
        }
        created = await self.http.request("POST", "/api/admin/products/", json_body=body)
        if not isinstance(created, dict):
            raise _Refused(f"Oscar answered the creation of {upc} with no product")
        self.index.learn(created, partner)
        if not extra.held(created):
            raise _Refused(extra.missing(created.get("product_class", self.product_class)))
        return created

    async def _write_variant(self, partner: str, product: Product, variant: Variant) -> str:
        """One Oscar product for the variant. Known to the index: PATCHed in place. Unknown:
        created with one POST; when Oscar refuses it (the UPC or SKU exists, e.g. after a
        restart), looked up and updated instead."""
        upc = self._upc(product, variant)
        sku = variant.sku
        if not sku:
            raise _Refused(f"variant {variant.external_id} has no SKU; Oscar needs one")
        slug = (
            product.handle
            if len(product.variants) == 1
            else (f"{product.handle}-{variant.external_id}")
        )
        fields: dict[str, Any] = {
            "title": product.title,
            "slug": slug,
            "is_public": product.status == "live",
            "attributes": [extra.attribute(extra.encode(product, variant))],
        }
        price = str((variant.price or Decimal(0)).quantize(CENT))
        row = self.index.by_upc.get(upc) or self.index.owner.get(sku)
        if row is None:
            try:
                created = await self._create(partner, upc, sku, fields, price)
                return str(number(created, "id", f"created product {upc}", self.system))
            except PermanentError as exc:
                if exc.status != 400:
                    raise
                row = await self._look_up(upc, sku)
                if row is None:
                    raise
        if row.get("upc") != upc:
            # A product made in Oscar with this SKU (or by an earlier back-office product):
            # the SKU links it; it takes our UPC so it is found as ours from now on.
            fields["upc"] = upc
        # django-oscar-api types an attribute by the class named in the same body; a product
        # made in Oscar keeps its own class (which must then have the attribute too).
        kept_class = row.get("product_class")
        fields["product_class"] = kept_class if isinstance(kept_class, str) else self.product_class
        try:
            answer = await self.http.request(
                "PATCH", text(row, "url", upc, self.system), json_body=fields
            )
        except PermanentError as exc:
            if exc.status != 404:
                raise
            self.index.forget(upc)  # deleted in Oscar since: create it again
            created = await self._create(partner, upc, sku, fields, price)
            return str(number(created, "id", f"created product {upc}", self.system))
        if not isinstance(answer, dict):
            raise _Refused(f"Oscar answered the update of {upc} with no product")
        self.index.learn(answer, partner)
        if not extra.held(answer):
            raise _Refused(extra.missing(fields["product_class"]))
        record = self.index.record_of.get(upc)
        change = {"partner_sku": sku, "price": price, "price_currency": self.currency}
        if record is None:
            raise _Refused(
                f"Oscar product {upc} has no stock record of partner {self.partner_code!r}"
            )
        if any(str(record.get(k)) != str(v) for k, v in change.items()):
            updated = await self.http.request(
                "PATCH", text(record, "url", upc, self.system), json_body=change
            )
            if isinstance(updated, dict):
                self.index.learn_record(sku, updated)
        return str(number(answer, "id", upc, self.system))

    async def read(self, external_ids: Sequence[str]) -> dict[str, Product]:
        wanted = set(external_ids)
        if any(not self.index.upcs_of(pid) for pid in wanted):
            await self.relist()  # a cold or missing entry: learn the catalogue (rate-limited)
        groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for pid in sorted(wanted):
            for upc in self.index.upcs_of(pid):
                row = await self._fetch(upc)
                if row is not None:
                    groups.setdefault(pid, []).append((upc.split(":", 1)[1], row))
        out = {}
        for product_id, rows in groups.items():
            rows.sort(key=lambda item: (len(item[0]), item[0]))
            variants = []
            live = False
            for position, (variant_id, row) in enumerate(rows):
                upc = f"{product_id}:{variant_id}"
                record = self.index.record_of.get(upc) or {}
                live = live or bool(row.get("is_public"))
                kept = extra.decode(row, upc, self.system)
                fields: dict[str, Any] = {
                    "title": text(row, "title", upc, self.system),
                    "position": position,
                    **extra.variant_fields(kept, upc, self.system),
                }
                variants.append(
                    Variant(
                        external_id=variant_id,
                        sku=record.get("partner_sku") or None,
                        price=money(record, "price", upc, self.system).quantize(CENT)
                        if record.get("price") is not None
                        else None,
                        **fields,
                    )
                )
            variants.sort(key=lambda v: v.position)
            first = rows[0][1]
            slug = text(first, "slug", product_id, self.system)
            if len(rows) > 1:
                slug = slug.removesuffix(f"-{rows[0][0]}")
            out[product_id] = Product(
                external_id=product_id,
                title=text(first, "title", product_id, self.system),
                handle=slug,
                status="live" if live else "discontinued",
                variants=tuple(variants),
                **extra.product_fields(
                    extra.decode(first, product_id, self.system), product_id, self.system
                ),
            )
        return out

    # -- stock ------------------------------------------------------------------------------

    async def _record(self, sku: str) -> dict[str, Any] | None:
        if sku not in self.index.records:
            await self.relist()
        return await self._fetch_record(sku)

    async def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        results = []
        for level in levels:
            key = f"{level.sku}|{level.location}"
            if level.location != self.warehouse:
                results.append(
                    WriteResult(
                        external_id=key,
                        error=(
                            f"Oscar partner {self.partner_code!r} holds the stock of warehouse "
                            f"{self.warehouse!r} only"
                        ),
                    )
                )
                continue
            record = await self._record(level.sku)
            if record is None:
                results.append(
                    WriteResult(
                        external_id=key,
                        error=(
                            f"Oscar has no stock record for SKU {level.sku} "
                            "(the product is not there yet)"
                        ),
                    )
                )
                continue
            allocated = number(record, "num_allocated", level.sku, self.system, default=0)
            quantity = max(level.quantity, 0) + (allocated if self.add_allocated else 0)
            url = text(record, "url", level.sku, self.system)
            if record.get("num_in_stock") != quantity:
                updated = await self.http.request(
                    "PATCH", url, json_body={"num_in_stock": quantity}
                )
                if isinstance(updated, dict):
                    self.index.learn_record(level.sku, updated)
            results.append(
                WriteResult(external_id=key, remote_id=str(id_of(url, key, self.system)))
            )
        return results

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        out = []
        for sku in skus:
            record = await self._record(sku)
            if record is None:
                continue
            in_stock = number(record, "num_in_stock", sku, self.system, default=0)
            allocated = number(record, "num_allocated", sku, self.system, default=0)
            out.append(
                StockLevel(
                    sku=sku,
                    location=self.warehouse,
                    quantity=in_stock - allocated if self.add_allocated else in_stock,
                )
            )
        return out


class _Refused(PermanentError):
    """A product Oscar cannot hold as it is; recorded against the product, not retried."""


def _permanent(exc: ConnectorError) -> bool:
    return isinstance(exc, PermanentError)
