"""The emulator's catalogue: products (Core API), price lists with their prices, stock.

Documented semantics reproduced (platform-specs.md §2.2): price lists need ``slug``, ``name``,
``currency_code``; a duplicate slug is a 400; slug and source are immutable; ``GET
/api/v2/price-lists`` pages by ``page`` and ``page_size`` <= 250; pricing writes replace the
prices of the SKUs sent only and answer 400 with an array of ``{line, field, message}``;
stock rows take ``stock_location_id`` or ``stock_location_external_id`` (not both), upsert per
(SKU, location), and a request naming an unknown location or the same pair twice is a 400.
Assumed: the product paths and body (wire.py), the ``external_ids`` and ``skus`` filters,
that stock for a SKU no product holds is refused like an unknown location, and that a 400
refuses the whole batch.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from syncwright.connectors.sparklayer.emulator.problems import (
    Reply,
    field_error,
    not_found,
    problem,
)

MAX_PRICE_LIST_PAGE = 250


class CatalogStore:
    def __init__(self, locations: list[str]) -> None:
        self.products: dict[int, dict[str, Any]] = {}
        self.by_external: dict[str, int] = {}
        self.price_lists: dict[str, dict[str, Any]] = {}
        self.prices: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.locations: dict[str, int] = {}
        self.stock: dict[tuple[str, str], dict[str, Any]] = {}
        self._ids = itertools.count(1001)
        for name in locations:
            self.add_location(name)

    def add_location(self, external_id: str) -> int:
        return self.locations.setdefault(external_id, len(self.locations) + 1)

    def skus(self) -> set[str]:
        return {v["sku"] for p in self.products.values() for v in p["variants"] if v.get("sku")}

    # -- products ---------------------------------------------------------------------------

    def find_products(self, query: dict[str, str]) -> Reply:
        wanted = [i for i in (query.get("external_ids") or "").split(",") if i]
        limit = int(query.get("limit") or 250)
        if limit > 250 or limit < 1:
            return problem(400, "limit must be between 1 and 250", [field_error("limit", "range")])
        if wanted:
            ids = [self.by_external[e] for e in wanted if e in self.by_external]
        else:
            ids = sorted(self.products)
        return 200, [copy.deepcopy(self.products[i]) for i in ids[:limit]]

    def _checked(self, body: Any, *, partial: bool) -> tuple[dict[str, Any] | None, Reply | None]:
        if not isinstance(body, dict):
            return None, problem(400, "the body must be an object")
        errors = []
        for key in ("title", "slug", "external_id"):
            if (key in body and not isinstance(body[key], str)) or (
                not partial and not body.get(key)
            ):
                errors.append(field_error(key, f"{key} is required", "required"))
        variants = body.get("variants", [])
        if not isinstance(variants, list) or not all(
            isinstance(v, dict) and isinstance(v.get("external_id"), str) for v in variants
        ):
            errors.append(field_error("variants", "each variant needs an external_id"))
        if errors:
            return None, problem(400, "validation failed", errors)
        return body, None

    def create_product(self, body: Any) -> Reply:
        checked, refusal = self._checked(body, partial=False)
        if refusal is not None or checked is None:
            return refusal or problem(400, "invalid")
        if checked["external_id"] in self.by_external:
            return problem(
                409,
                "a product with this external_id exists",
                [field_error("external_id", "duplicate", "duplicate")],
            )
        pid = next(self._ids)
        product: dict[str, Any] = {
            "id": pid,
            "status": "live",
            "settings": {},
            "restock_date": None,
        }
        product.update(copy.deepcopy(checked))
        product["variants"] = self._variants(product.get("variants") or [])
        self.products[pid] = product
        self.by_external[product["external_id"]] = pid
        return 201, copy.deepcopy(product)

    def patch_product(self, pid: str, body: Any) -> Reply:
        product = self.products.get(int(pid)) if pid.isdigit() else None
        if product is None:
            return not_found("product")
        checked, refusal = self._checked(body, partial=True)
        if refusal is not None or checked is None:
            return refusal or problem(400, "invalid")
        if checked.get("external_id", product["external_id"]) != product["external_id"]:
            return problem(
                400, "external_id is immutable", [field_error("external_id", "immutable")]
            )
        product.update(copy.deepcopy(checked))
        if "variants" in checked:
            product["variants"] = self._variants(product["variants"])
        return 200, copy.deepcopy(product)

    def get_product(self, pid: str) -> Reply:
        product = self.products.get(int(pid)) if pid.isdigit() else None
        return (200, copy.deepcopy(product)) if product else not_found("product")

    def _variants(self, variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"id": next(self._ids), **v} for v in variants]

    # -- price lists ------------------------------------------------------------------------

    def list_price_lists(self, query: dict[str, str]) -> Reply:
        try:
            page = int(query.get("page") or 1)
            size = int(query.get("page_size") or 50)
        except ValueError:
            return problem(400, "page and page_size must be integers")
        if size < 1 or size > MAX_PRICE_LIST_PAGE or page < 1:
            return problem(
                400, "page_size must be between 1 and 250", [field_error("page_size", "range")]
            )
        lists = [self.price_lists[s] for s in sorted(self.price_lists)]
        total_pages = max(1, -(-len(lists) // size))
        data = lists[(page - 1) * size : page * size]
        pagination = {
            "current_page": page,
            "total_pages": total_pages,
            "page_size": size,
            "total": len(lists),
        }
        return 200, {"data": copy.deepcopy(data), "pagination": pagination}

    def get_price_list(self, slug: str) -> Reply:
        found = self.price_lists.get(slug)
        return (200, copy.deepcopy(found)) if found else not_found("price list")

    def create_price_list(self, body: Any) -> Reply:
        if not isinstance(body, dict):
            return problem(400, "the body must be an object")
        missing = [
            k
            for k in ("slug", "name", "currency_code")
            if not isinstance(body.get(k), str) or not body[k]
        ]
        if missing:
            return problem(
                400,
                "validation failed",
                [field_error(k, f"{k} is required", "required") for k in missing],
            )
        if len(body["currency_code"]) != 3:
            return problem(
                400, "validation failed", [field_error("currency_code", "ISO 4217 code")]
            )
        if body["slug"] in self.price_lists:
            return problem(
                400, "validation failed", [field_error("slug", "slug already exists", "duplicate")]
            )
        source = body.get("source", "custom")
        if source != "custom":
            return problem(400, "validation failed", [field_error("source", "unknown rule source")])
        made = {
            "slug": body["slug"],
            "name": body["name"],
            "currency_code": body["currency_code"],
            "source": source,
            "rules": body.get("rules") or [],
            "tax_inclusive_display": bool(body.get("tax_inclusive_display", False)),
        }
        self.price_lists[made["slug"]] = made
        self.prices[made["slug"]] = {}
        return 201, copy.deepcopy(made)

    def patch_price_list(self, slug: str, body: Any) -> Reply:
        found = self.price_lists.get(slug)
        if found is None:
            return not_found("price list")
        if not isinstance(body, dict):
            return problem(400, "the body must be an object")
        fixed = [k for k in ("slug", "source") if k in body and body[k] != found[k]]
        if fixed:
            return problem(
                400,
                "validation failed",
                [field_error(k, f"{k} cannot change", "immutable") for k in fixed],
            )
        for key in ("name", "currency_code", "rules", "tax_inclusive_display"):
            if key in body:
                found[key] = body[key]
        return 200, copy.deepcopy(found)

    def write_pricing(self, slug: str | None, rows: Any) -> Reply:
        """Replace the prices of the SKUs sent; the 400 answer is an array of bad lines."""
        if slug is not None and slug not in self.price_lists:
            return not_found("price list")
        if not isinstance(rows, list):
            return 400, [{"line": 0, "field": "", "message": "the body must be an array"}]
        bad: list[dict[str, Any]] = []
        staged: list[tuple[str, str, list[dict[str, Any]]]] = []
        for n, row in enumerate(rows):
            target = (
                slug
                if slug is not None
                else (row.get("price_list_slug") if isinstance(row, dict) else None)
            )
            problem_at = _pricing_row_problem(row, target, self.price_lists)
            if problem_at:
                bad.append({"line": n, "field": problem_at[0], "message": problem_at[1]})
            else:
                assert target is not None
                staged.append((target, row["sku"], [dict(q) for q in row["pricing"]]))
        if bad:
            return 400, bad
        for target, sku, pricing in staged:
            self.prices[target][sku] = pricing
        return 204, None

    def read_pricing(self, slug: str, query: dict[str, str]) -> Reply:
        if slug not in self.price_lists:
            return not_found("price list")
        held = self.prices[slug]
        wanted = [s for s in (query.get("skus") or "").split(",") if s] or sorted(held)
        return 200, [{"sku": s, "pricing": copy.deepcopy(held[s])} for s in wanted if s in held]

    # -- stock ------------------------------------------------------------------------------

    def batch_stock(self, rows: Any) -> Reply:
        if not isinstance(rows, list):
            return problem(400, "the body must be an array")
        known, by_id = self.skus(), {v: k for k, v in self.locations.items()}
        errors: list[dict[str, Any]] = []
        staged: dict[tuple[str, str], dict[str, Any]] = {}
        for n, row in enumerate(rows):
            where, message = _stock_row(row, self.locations, by_id)
            if message is None and row["sku"] not in known:
                message = f"unknown SKU {row['sku']}"
            if message is None and (row["sku"], where) in staged:
                message = "the same SKU and location appear twice"
            if message is not None:
                errors.append(
                    {"line": n, "code": "invalid", "property": f"[{n}]", "message": message}
                )
                continue
            staged[(row["sku"], where)] = {
                "sku": row["sku"],
                "stock_location_external_id": where,
                "stock_level": row["stock_level"],
                "restock_date": row.get("restock_date"),
                "min_stock_level": row.get("min_stock_level"),
            }
        if errors:
            return problem(400, "some stock rows were refused; nothing was written", errors)
        self.stock.update(staged)
        return 204, None

    def get_stock(self, sku: str) -> Reply:
        rows = [dict(v) for (s, _), v in sorted(self.stock.items()) if s == sku]
        if not rows and sku not in self.skus():
            return not_found("stock for this SKU")
        return 200, rows


def _pricing_row_problem(
    row: Any, target: str | None, lists: dict[str, Any]
) -> tuple[str, str] | None:
    if not isinstance(row, dict) or not isinstance(row.get("sku"), str) or not row["sku"]:
        return "sku", "sku is required"
    if target is None or target not in lists:
        return "price_list_slug", "unknown price list"
    pricing = row.get("pricing")
    if not isinstance(pricing, list) or not pricing:
        return "pricing", "pricing must be a non-empty array"
    for tier in pricing:
        if not isinstance(tier, dict):
            return "pricing", "each tier is an object"
        qty, price = tier.get("quantity"), tier.get("price")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            return "pricing.quantity", "quantity must be a positive integer"
        if not isinstance(price, int | float) or isinstance(price, bool) or price < 0:
            return "pricing.price", "price must be a non-negative number"
    return None


def _stock_row(
    row: Any, locations: dict[str, int], by_id: dict[int, str]
) -> tuple[str, str | None]:
    if not isinstance(row, dict) or not isinstance(row.get("sku"), str):
        return "", "sku is required"
    level = row.get("stock_level")
    if not isinstance(level, int) or isinstance(level, bool):
        return "", "stock_level must be an integer"
    has_id, has_ext = "stock_location_id" in row, "stock_location_external_id" in row
    if has_id == has_ext:
        return "", "give stock_location_id or stock_location_external_id, not both"
    if has_ext:
        where = row["stock_location_external_id"]
        return (where, None) if where in locations else ("", f"unknown stock location {where}")
    found = by_id.get(row["stock_location_id"])
    return (found, None) if found else ("", "unknown stock location id")
