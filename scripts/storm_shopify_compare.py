"""The Shopify storm's verdict (scripts/storm_shopify.py): what the sandbox ERP holds against
what the Shopify emulator holds and what the daemon's state file says, read over the ERP's
HTTP API and the emulator's ``/_emulator/`` controls, independent of the connectors.

The mapping compared is the documented one (README "Shopify"): each ERP product is one Shopify
product found by its ``syncwright.source_id`` metafield, with the ERP's title, ``ACTIVE``
(``ARCHIVED`` once deleted or discontinued at the source), one variant per ERP variant with
its SKU and price, the same fixed price in the "Shopify Price" list, and the quantity of each
ERP location at the mapped Shopify location. Every Shopify order is one ERP sale order under
``shop:<order id>``: at most once, exactly once unless it was cancelled before it was posted or
its e-mail is one two ERP customers share (then unposted, with a sync-log error); a cancelled
order posted before is cancelled in the ERP, a fulfilled one carries its shipments.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from storm_compare import Verdict, daemon_problems

PRICE_LIST = "Shopify Price"
LOCATIONS = {"central": "Main warehouse", "north": "North store"}


class Sides:
    """Plain HTTP readers of both sides."""

    def __init__(self, erp_url: str, erp_key: str, emu_url: str, emu_token: str) -> None:
        self.erp = httpx.Client(
            base_url=erp_url, headers={"Authorization": f"Bearer {erp_key}"}, timeout=60
        )
        self.emu = httpx.Client(
            base_url=emu_url, headers={"X-Shopify-Access-Token": emu_token}, timeout=60
        )

    def close(self) -> None:
        self.erp.close()
        self.emu.close()

    def erp_rows(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every row of an ERP listing, following its ``next`` object."""
        rows: list[dict[str, Any]] = []
        query: dict[str, Any] = {"limit": 200, **params}
        while True:
            answer = self.erp.get(path, params=query)
            answer.raise_for_status()
            body = answer.json()
            rows += body["items"]
            if not body.get("next") or not body["items"]:
                return rows
            query = {"limit": 200, **params, **body["next"]}

    def erp_stock(self, skus: list[str]) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for start in range(0, len(skus), 100):
            batch = ",".join(skus[start : start + 100])
            answer = self.erp.get("/api/stock", params={"skus": batch})
            answer.raise_for_status()
            for row in answer.json()["items"]:
                out[(row["sku"], row.get("location") or row.get("warehouse"))] = row["quantity"]
        return out

    def shop_products(self) -> dict[str, dict[str, Any]]:
        answer = self.emu.get("/_emulator/products")
        answer.raise_for_status()
        return {str(p["source_id"]): p for p in answer.json()["products"]}

    def shop_orders(self) -> list[dict[str, Any]]:
        answer = self.emu.get("/_emulator/orders")
        answer.raise_for_status()
        orders: list[dict[str, Any]] = answer.json()["orders"]
        return orders


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def compare_products(sides: Sides, verdict: Verdict, deleted: set[str]) -> None:
    erp = {str(p["id"]): p for p in sides.erp_rows("/api/products")}
    shop = sides.shop_products()
    skus: list[str] = []
    for pid, product in sorted(erp.items()):
        held = shop.get(pid)
        live = product.get("status", "live") == "live"
        if held is None:
            verdict.product_differences.append(f"product {pid}: missing on Shopify")
            continue
        want_status = "ACTIVE" if live else "ARCHIVED"
        if held["status"] != want_status:
            verdict.product_differences.append(
                f"product {pid}: status {held['status']} != {want_status}"
            )
        if not live:
            verdict.variants_gone += len(product["variants"])
            continue
        verdict.variants_live += len(product["variants"])
        if held["title"] != product["title"]:
            verdict.product_differences.append(
                f"product {pid}: title {held['title']!r} != {product['title']!r}"
            )
        have = {v["sku"]: v for v in held["variants"]}
        for variant in product["variants"]:
            sku = variant["sku"]
            skus.append(sku)
            got = have.pop(sku, None)
            if got is None:
                verdict.product_differences.append(f"product {pid} {sku}: variant missing")
                continue
            price = _money(variant.get("price"))
            wrong = []
            if _money(got["price"]) != price:
                wrong.append(f"price {got['price']} != {price}")
            listed = _money(got.get("list_prices", {}).get(PRICE_LIST))
            if listed != price:
                wrong.append(f"{PRICE_LIST!r} {listed} != {price}")
            if wrong:
                verdict.product_differences.append(f"product {pid} {sku}: {'; '.join(wrong)}")
        for sku in sorted(have):
            verdict.product_differences.append(f"product {pid} {sku}: on Shopify, not in the ERP")
    for pid in sorted(set(shop) - set(erp)):
        status = shop[pid]["status"]
        if status == "ACTIVE":
            gone = "deleted in the ERP" if pid in deleted else "unknown to the ERP"
            verdict.product_differences.append(f"product {pid}: {gone}, still ACTIVE")
        else:
            verdict.variants_gone += len(shop[pid]["variants"])
    compare_stock(sides, verdict, skus, shop)


def compare_stock(
    sides: Sides, verdict: Verdict, skus: list[str], shop: dict[str, dict[str, Any]]
) -> None:
    levels = {
        (v["sku"], where): quantity
        for p in shop.values()
        for v in p["variants"]
        for where, quantity in v["levels"].items()
    }
    for (sku, location), quantity in sorted(sides.erp_stock(skus).items()):
        where = LOCATIONS.get(location, location)
        if levels.get((sku, where)) != quantity:
            verdict.product_differences.append(
                f"stock {sku} at {where}: {levels.get((sku, where))} != {quantity}"
            )


def compare_orders(
    sides: Sides, verdict: Verdict, *, channel: str, shared: set[str], excused: set[str]
) -> dict[str, str]:
    """Returns the orders expected unposted with an error (shared e-mail), id -> e-mail; adds
    to ``excused`` the shared e-mail's orders cancelled unposted (an error is allowed, not
    required: it was recorded if the post was tried before the cancellation)."""
    orders = sides.shop_orders()
    verdict.orders = len(orders)
    posted: dict[str, list[dict[str, Any]]] = {}
    for row in sides.erp_rows("/api/orders"):
        posted.setdefault(str(row["channel_ref"]), []).append(row)
    waiting: dict[str, str] = {}
    refs = set()
    for order in orders:
        oid, email = str(order["id"]), str(order.get("email") or "")
        ref = f"{channel}:{oid}"
        refs.add(ref)
        found = posted.get(ref, [])
        if len(found) > 1:
            verdict.duplicate_orders.append(f"order {oid}: {len(found)} ERP orders")
        if email.lower() in shared:
            if order["cancelled"] and not found:
                excused.add(oid)
                continue
            waiting[oid] = email
            if found:
                verdict.customer_differences.append(
                    f"order {oid}: posted although {email} is shared by two customers"
                )
            continue
        if not found:
            if not order["cancelled"]:
                verdict.missing_orders.append(f"order {oid} ({email}): not in the ERP")
            continue
        sale = found[0]
        if order["cancelled"] and sale["status"] != "cancelled":
            verdict.unprocessed_orders.append(
                f"order {oid}: cancelled on Shopify, {sale['status']} in the ERP"
            )
        shipped = len(sale.get("shipments") or [])
        if shipped != order["fulfillments"]:
            verdict.unprocessed_orders.append(
                f"order {oid}: {order['fulfillments']} fulfilments, {shipped} ERP shipments"
            )
        lines = sorted((ln["sku"], ln["quantity"]) for ln in sale["lines"])
        if lines != sorted((ln["sku"], ln["quantity"]) for ln in order["lines"]):
            verdict.order_differences.append(f"order {oid}: lines {lines} differ")
    for ref in sorted(set(posted) - refs):
        verdict.order_differences.append(f"ERP order {ref}: no such Shopify order")
    return waiting


def judge(
    sides: Sides, state: Path, *, channel: str, shared: set[str], deleted: set[str]
) -> Verdict:
    verdict = Verdict()
    compare_products(sides, verdict, deleted)
    excused: set[str] = set()
    waiting = compare_orders(sides, verdict, channel=channel, shared=shared, excused=excused)
    daemon_problems(state, verdict, waiting)
    for line in list(verdict.unexpected_problems):
        if any(f"orders {oid}:" in line or f'"{oid}"' in line for oid in excused):
            verdict.unexpected_problems.remove(line)
            verdict.expected_problems.append(line)
    return verdict
