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

from connectors.errors import ConnectorError, PermanentError
from connectors.model import Product, StockLevel, Variant, WriteResult
from connectors.oscar.api import OscarHttp, id_of, money, number, text

CENT = Decimal("0.01")


class Listing:
    """What Oscar holds, read fresh: Oscar product and stock record by UPC and by SKU."""

    def __init__(self, rows: list[dict[str, Any]], partner_url: str, system: str) -> None:
        self.by_upc: dict[str, dict[str, Any]] = {}  # only ours: "<product>:<variant>"
        self.records: dict[str, dict[str, Any]] = {}  # SKU -> stock record (of any product)
        self.owner: dict[str, dict[str, Any]] = {}  # SKU -> the product holding that record
        self.record_of: dict[str, dict[str, Any]] = {}  # UPC -> stock record
        for row in rows:
            upc = row.get("upc")
            ours = isinstance(upc, str) and ":" in upc
            if ours:
                self.by_upc[str(upc)] = row
            for record in row.get("stockrecords") or []:
                if isinstance(record, dict) and record.get("partner") == partner_url:
                    sku = text(record, "partner_sku", f"stock record of {upc}", system)
                    self.records[sku] = record
                    self.owner[sku] = row
                    if ours:
                        self.record_of[str(upc)] = record


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
    ) -> None:
        self.http = http
        self.system = system
        self.partner_code = partner
        self.product_class = product_class
        self.currency = currency
        self.warehouse = warehouse
        self.add_allocated = add_allocated
        self._partner_url: str | None = None

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

    async def listing(self) -> Listing:
        rows = await self.http.all("/api/admin/products/", "product listing")
        return Listing(rows, await self.partner_url(), self.system)

    # -- products ---------------------------------------------------------------------------

    async def upsert(self, products: Sequence[Product]) -> list[WriteResult]:
        held = await self.listing()
        partner = await self.partner_url()
        results = []
        for product in products:
            try:
                ids = [
                    await self._write_variant(held, partner, product, variant)
                    for variant in product.variants
                ]
                wanted = {self._upc(product, v) for v in product.variants}
                for upc, row in held.by_upc.items():  # variants gone from the back office
                    if upc.split(":", 1)[0] == product.external_id and upc not in wanted:
                        await self.http.request(
                            "PATCH",
                            text(row, "url", upc, self.system),
                            json_body={"is_public": False},
                        )
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

    async def _write_variant(
        self, held: Listing, partner: str, product: Product, variant: Variant
    ) -> str:
        upc = self._upc(product, variant)
        if not variant.sku:
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
        }
        price = str((variant.price or Decimal(0)).quantize(CENT))
        row = held.by_upc.get(upc)
        if row is None and variant.sku in held.owner:
            # A product made in Oscar with this SKU (or by an earlier back-office product):
            # the SKU links it; it takes our UPC so it is found as ours from now on.
            row = held.owner[variant.sku]
            fields["upc"] = upc
            held.record_of[upc] = held.records[variant.sku]
        if row is None:
            body = {
                **fields,
                "upc": upc,
                "product_class": self.product_class,
                "structure": "standalone",
                "stockrecords": [
                    {
                        "partner": partner,
                        "partner_sku": variant.sku,
                        "price": price,
                        "price_currency": self.currency,
                        "num_in_stock": 0,
                    }
                ],
            }
            created = await self.http.request("POST", "/api/admin/products/", json_body=body)
            return str(number(created, "id", f"created product {upc}", self.system))
        await self.http.request("PATCH", text(row, "url", upc, self.system), json_body=fields)
        record = held.record_of.get(upc)
        change = {"partner_sku": variant.sku, "price": price, "price_currency": self.currency}
        if record is None:
            raise _Refused(
                f"Oscar product {upc} has no stock record of partner {self.partner_code!r}"
            )
        if any(str(record.get(k)) != str(v) for k, v in change.items()):
            await self.http.request(
                "PATCH", text(record, "url", upc, self.system), json_body=change
            )
        return str(number(row, "id", upc, self.system))

    async def read(self, external_ids: Sequence[str]) -> dict[str, Product]:
        held = await self.listing()
        wanted = set(external_ids)
        groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for upc, row in held.by_upc.items():
            product_id, variant_id = upc.split(":", 1)
            if product_id in wanted:
                groups.setdefault(product_id, []).append((variant_id, row))
        out = {}
        for product_id, rows in groups.items():
            rows.sort(key=lambda item: (len(item[0]), item[0]))
            variants = []
            live = False
            for position, (variant_id, row) in enumerate(rows):
                upc = f"{product_id}:{variant_id}"
                record = held.record_of.get(upc) or {}
                live = live or bool(row.get("is_public"))
                variants.append(
                    Variant(
                        external_id=variant_id,
                        sku=record.get("partner_sku") or None,
                        title=text(row, "title", upc, self.system),
                        position=position,
                        price=money(record, "price", upc, self.system).quantize(CENT)
                        if record.get("price") is not None
                        else None,
                    )
                )
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
            )
        return out

    # -- stock ------------------------------------------------------------------------------

    async def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        held = await self.listing()
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
            record = held.records.get(level.sku)
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
                await self.http.request("PATCH", url, json_body={"num_in_stock": quantity})
            results.append(
                WriteResult(external_id=key, remote_id=str(id_of(url, key, self.system)))
            )
        return results

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        held = await self.listing()
        out = []
        for sku in skus:
            record = held.records.get(sku)
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
