"""Products and stock read from Tryton (the SourceConnector half of the connector).

A canonical Product is a ``product.template``; its variants are its ``product.product``
records (SKU = the product's ``code``, price = ``list_price_used``). A template's change token
is the latest ``last_modified_at`` of the template and its variants: a template-only write
(a new list price) does not touch its variants' timestamps, and a variant write (a new code)
does not touch the template's.

Stock levels are per variant per warehouse: quantities are read with the ``locations``
context, one warehouse per call. Stock changes do not touch products at all, so changed stock
is found through stock moves modified since the cursor; the quantities of the products they
move are read again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from syncwright.connectors.base import ChangeQuery, ListQuery, Page
from syncwright.connectors.errors import PayloadError, PermanentError
from syncwright.connectors.model import Product, StockLevel, Variant
from syncwright.connectors.tryton import codec
from syncwright.connectors.tryton.rpc import TrytonRpc

TEMPLATE_FIELDS = ["name", "active", "salable", "list_price", "last_modified_at", "products"]
PRODUCT_FIELDS = ["template", "code", "active", "list_price_used", "last_modified_at"]
CENT = Decimal("0.01")


def _stamp(row: dict[str, Any], what: str, system: str) -> datetime:
    value = row.get("last_modified_at")
    if not isinstance(value, datetime):
        raise PayloadError(f"{what} has no last_modified_at timestamp", system=system)
    return value


def _int(row: dict[str, Any], key: str, what: str, system: str) -> int:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"{what}: '{key}' should be an id", system=system)
    return value


def handle_for(name: str, template_id: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "product"
    return f"{slug}-{template_id}"


class Catalog:
    """Reads products and stock; ``warehouses`` maps warehouse id -> name used as location."""

    def __init__(self, rpc: TrytonRpc, system: str, stock_moves: str) -> None:
        self.rpc = rpc
        self.system = system
        #: "done" (quantity on hand changes) or "any" (forecast changes too).
        self.stock_moves = stock_moves
        self.quantity_field = "quantity" if stock_moves == "done" else "forecast_quantity"
        self._warehouses: dict[int, str] | None = None
        #: Open (not done, not cancelled) moves -> their product, as of the last pass's start:
        #: a draft move deleted since leaves no row to find, only a gap in this map.
        self._open_moves: dict[int, int] | None = None

    # -- products ---------------------------------------------------------------------------

    async def changed_products(self, query: ChangeQuery) -> Page[Product]:
        """Templates whose own or whose variants' timestamps are at or after ``since``.

        A template's token is the latest of its own and its variants' timestamps, so it is at
        or after a bound exactly when one of them is: both searches use the page's lower bound
        (the previous page's token, else ``since``) and a pass never rescans what it paged.
        """
        bound = query.after[0] if query.after is not None else query.since
        domain: list[Any] = []
        if bound is not None:
            domain = [["last_modified_at", ">=", codec.from_token(bound)]]
        tokens: dict[int, datetime] = {}
        for row in await self.rpc.model(
            "product.template",
            "search_read",
            domain,
            0,
            None,
            None,
            ["last_modified_at"],
            active_test=False,
        ):
            tokens[_int(row, "id", "template", self.system)] = _stamp(row, "template", self.system)
        for row in await self.rpc.model(
            "product.product",
            "search_read",
            domain,
            0,
            None,
            None,
            ["template", "last_modified_at"],
            active_test=False,
        ):
            template = _int(row, "template", "product", self.system)
            stamp = _stamp(row, "product", self.system)
            if template not in tokens or tokens[template] < stamp:
                tokens[template] = stamp
        keyed = sorted((codec.to_token(stamp), tid) for tid, stamp in tokens.items())
        if query.after is not None:
            after = (codec.to_token(codec.from_token(query.after[0])), int(query.after[1]))
            keyed = [key for key in keyed if (key[0], key[1]) > after]
        page = keyed[: query.limit]
        products = await self.read_templates([tid for _, tid in page])
        last = (page[-1][0], str(page[-1][1])) if page else None
        return Page(products, last, complete=len(keyed) <= query.limit)

    async def list_products(self, query: ListQuery) -> Page[Product]:
        domain = [["id", ">", int(query.after)]] if query.after else []
        ids = await self.rpc.model(
            "product.template",
            "search",
            domain,
            0,
            query.limit,
            [["id", "ASC"]],
            active_test=False,
        )
        products = await self.read_templates(ids)
        last = (str(ids[-1]), str(ids[-1])) if ids else None
        return Page(products, last, complete=len(ids) < query.limit)

    async def get_product(self, id_or_sku: str) -> Product | None:
        """By template id when all digits (falling back to SKU), else by variant SKU."""
        if id_or_sku.isdigit():
            found = await self.read_templates([int(id_or_sku)])
            if found:
                return found[0]
        rows = await self.rpc.model(
            "product.product",
            "search_read",
            [["code", "=", id_or_sku]],
            0,
            1,
            None,
            ["template"],
            active_test=False,
        )
        if not rows:
            return None
        found = await self.read_templates([_int(rows[0], "template", "product", self.system)])
        return found[0] if found else None

    async def read_templates(self, ids: Sequence[int]) -> list[Product]:
        """The templates of ``ids`` that exist; one deleted since it was listed is left out."""
        if not ids:
            return []
        templates = await self._read_existing("product.template", ids, TEMPLATE_FIELDS)
        variant_ids = [vid for row in templates for vid in row.get("products") or []]
        variants = await self._read_existing("product.product", variant_ids, PRODUCT_FIELDS)
        by_template: dict[int, list[dict[str, Any]]] = {}
        for row in variants:
            by_template.setdefault(_int(row, "template", "product", self.system), []).append(row)
        return [self._product(row, by_template.get(row["id"], [])) for row in templates]

    async def _read_existing(
        self, model: str, ids: Sequence[int], fields: Sequence[str]
    ) -> list[dict[str, Any]]:
        """``read`` of the records of ``ids`` that exist. Tryton refuses a whole ``read`` when
        one record is gone ("records ... don't exist"); only then are the ids searched, so a
        deleted item is absent (a deletion) instead of failing every item beside it."""
        if not ids:
            return []
        try:
            rows: list[dict[str, Any]] = await self.rpc.model(
                model, "read", list(ids), list(fields), active_test=False
            )
            return rows
        except PermanentError:
            present = await self.rpc.model(
                model, "search", [["id", "in", list(ids)]], 0, None, None, active_test=False
            )
            if len(present) == len(set(ids)):
                raise  # nothing is missing: the read failed for another reason
        if not present:
            return []
        found: list[dict[str, Any]] = await self.rpc.model(
            model, "read", list(present), list(fields), active_test=False
        )
        return found

    def _product(self, row: dict[str, Any], variants: list[dict[str, Any]]) -> Product:
        tid = _int(row, "id", "template", self.system)
        what = f"template {tid}"
        name = row.get("name")
        if not isinstance(name, str):
            raise PayloadError(f"{what} has no name", system=self.system)
        stamps = [_stamp(row, what, self.system)]
        live_variants: list[Variant] = []
        for vrow in sorted(variants, key=lambda v: int(v["id"])):
            stamps.append(_stamp(vrow, f"product {vrow.get('id')}", self.system))
            if not vrow.get("active", True):
                continue
            price = vrow.get("list_price_used")
            code = vrow.get("code")
            live_variants.append(
                Variant(
                    external_id=str(vrow["id"]),
                    sku=code if isinstance(code, str) and code else None,
                    title=name,
                    position=len(live_variants),
                    price=price.quantize(CENT) if isinstance(price, Decimal) else None,
                )
            )
        live = bool(row.get("active", True)) and bool(row.get("salable", True)) and live_variants
        return Product(
            external_id=str(tid),
            title=name,
            handle=handle_for(name, tid),
            status="live" if live else "discontinued",
            variants=tuple(live_variants),
            modified_at=max(stamps),
        )

    # -- stock ------------------------------------------------------------------------------

    async def warehouses(self) -> dict[int, str]:
        if self._warehouses is None:
            rows = await self.rpc.model(
                "stock.location",
                "search_read",
                [["type", "=", "warehouse"]],
                0,
                None,
                [["id", "ASC"]],
                ["name", "code"],
            )
            self._warehouses = {
                _int(r, "id", "warehouse", self.system): str(r.get("code") or r.get("name"))
                for r in rows
            }
        return self._warehouses

    async def levels(self, product_ids: Iterable[int]) -> list[StockLevel]:
        """Quantities of the products in every warehouse: one call per warehouse."""
        ids = sorted(set(product_ids))
        if not ids:
            return []
        out: list[StockLevel] = []
        for wid, location in (await self.warehouses()).items():
            rows = await self.rpc.model(
                "product.product",
                "read",
                ids,
                ["code", self.quantity_field, "type"],
                locations=[wid],
                active_test=False,
            )
            for row in rows:
                code = row.get("code")
                if not code or row.get("type") not in ("goods", "assets"):
                    continue
                quantity = row.get(self.quantity_field)
                if not isinstance(quantity, int | float) or isinstance(quantity, bool):
                    raise PayloadError(
                        f"product {row.get('id')}: quantity is not a number", system=self.system
                    )
                out.append(
                    StockLevel(
                        sku=str(code),
                        location=location,
                        quantity=int(quantity // 1),
                        variant_external_id=str(row["id"]),
                    )
                )
        return out

    async def changed_stock(self, query: ChangeQuery) -> Page[StockLevel]:
        """Levels of the products moved by stock moves modified at or after ``since``."""
        domain: list[Any] = []
        if self.stock_moves == "done":
            domain.append(["state", "=", "done"])
        if query.since is not None:
            domain.append(["last_modified_at", ">=", codec.from_token(query.since)])
        if query.after is not None:
            stamp = codec.from_token(query.after[0])
            domain.append(
                [
                    "OR",
                    [["last_modified_at", ">", stamp]],
                    [["last_modified_at", "=", stamp], ["id", ">", int(query.after[1])]],
                ]
            )
        moves = await self.rpc.model(
            "stock.move",
            "search_read",
            domain,
            0,
            query.limit,
            [["last_modified_at", "ASC"], ["id", "ASC"]],
            ["product", "last_modified_at"],
        )
        products = {_int(m, "product", "stock move", self.system) for m in moves}
        if query.after is None and self.stock_moves != "done":
            products |= await self._products_of_vanished_moves()
        levels = await self.levels(products)
        last = None
        if moves:
            last = (
                codec.to_token(_stamp(moves[-1], "stock move", self.system)),
                str(moves[-1]["id"]),
            )
        return Page(levels, last, complete=len(moves) < query.limit)

    async def _products_of_vanished_moves(self) -> set[int]:
        """Products whose open moves were deleted since the last pass started. The forecast
        counts draft moves, and a deleted one leaves nothing modified behind: only the list
        of open moves, read once per pass (its first page), shows it gone. A move gone from
        the list because it was done or cancelled was modified too, so reading its product
        again costs a read and never a wrong level. The first pass after a start only learns
        the list: what was deleted while the daemon was down is left to ghost sweeps."""
        rows = await self.rpc.model(
            "stock.move",
            "search_read",
            [["state", "not in", ["done", "cancelled"]]],
            0,
            None,
            None,
            ["product"],
        )
        now = {
            _int(m, "id", "stock move", self.system): _int(m, "product", "stock move", self.system)
            for m in rows
        }
        before, self._open_moves = self._open_moves, now
        if before is None:
            return set()
        return {product for move, product in before.items() if move not in now}

    async def list_stock(self, query: ListQuery) -> Page[StockLevel]:
        domain: list[Any] = [["type", "in", ["goods", "assets"]]]
        if query.after:
            domain.append(["id", ">", int(query.after)])
        ids = await self.rpc.model(
            "product.product", "search", domain, 0, query.limit, [["id", "ASC"]]
        )
        levels = await self.levels(ids)
        last = (str(ids[-1]), str(ids[-1])) if ids else None
        return Page(levels, last, complete=len(ids) < query.limit)

    async def get_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        if not skus:
            return []
        ids = await self.rpc.model(
            "product.product", "search", [["code", "in", list(skus)]], 0, None, None
        )
        return await self.levels(ids)
