"""The storm's verdict (scripts/storm.py): what real Tryton holds against what real Oscar holds
and what the daemon's state file says, read over plain HTTP and SQL, independent of the
connectors.

The mapping compared is the documented one (README "Real systems", connectors/oscar/catalog.py):
each active variant of an active, salable Tryton template is one public Oscar product with UPC
``<template id>:<variant id>``, the template's name as title, and a stock record whose
``partner_sku`` is the variant's code, ``price`` its ``list_price_used`` (2 places) and
``num_in_stock - num_allocated`` its forecast quantity in the warehouse (floored). Anything else
(deleted, inactive, non-salable) is absent from Oscar or not public. Every Oscar order is one
Tryton sale of the web shop with web id ``<channel system>:<number>``, in state processing (or
done), whose party has the order's e-mail (ignoring case); an order whose e-mail two parties
share is not posted and has a sync-log error saying so.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

CENT = Decimal("0.01")
POSTED_STATES = ("processing", "done")


@dataclass
class Verdict:
    """Differences (each one line naming the item) and the problems the daemon recorded."""

    variants_live: int = 0
    variants_gone: int = 0
    orders: int = 0
    product_differences: list[str] = field(default_factory=list)
    order_differences: list[str] = field(default_factory=list)
    duplicate_orders: list[str] = field(default_factory=list)
    missing_orders: list[str] = field(default_factory=list)
    unprocessed_orders: list[str] = field(default_factory=list)
    customer_differences: list[str] = field(default_factory=list)
    expected_problems: list[str] = field(default_factory=list)
    unexpected_problems: list[str] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return (
            len(self.product_differences)
            + len(self.order_differences)
            + len(self.duplicate_orders)
            + len(self.missing_orders)
            + len(self.unprocessed_orders)
            + len(self.customer_differences)
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "differences": self.differences}


def oscar_rows(url: str, token: str, path: str) -> list[dict[str, Any]]:
    """Every row of a django-oscar-api listing, following its ``next`` links as given."""
    rows: list[dict[str, Any]] = []
    headers = {"Authorization": f"Token {token}"}
    with httpx.Client(timeout=120, headers=headers) as client:
        page: str | None = f"{url}{path}?limit=100"
        seen: set[str] = set()
        while page:
            if page in seen:
                raise RuntimeError(f"Oscar's listing {path} loops at {page}")
            seen.add(page)
            answer = client.get(page)
            answer.raise_for_status()
            body = answer.json()
            rows.extend(body["results"])
            page = body.get("next")
    return rows


def tryton_catalogue(admin: Any) -> dict[str, dict[str, Any]]:
    """Tryton's variants by ``<template>:<variant>``: what Oscar should show for each."""
    every = {**admin.rpc.context, "active_test": False}
    templates = admin.rpc.call(
        "model.product.template.search_read",
        [],
        0,
        None,
        [["id", "ASC"]],
        ["name", "active", "salable", "products"],
        every,
    )
    ids = [v for t in templates for v in t["products"]]
    context = {**every, "locations": [admin.ids["warehouse"]]}
    variants = {
        row["id"]: row
        for row in admin.rpc.call(
            "model.product.product.read",
            ids,
            ["code", "active", "list_price_used", "forecast_quantity", "template"],
            context,
        )
    }
    out: dict[str, dict[str, Any]] = {}
    for t in templates:
        for vid in t["products"]:
            v = variants[vid]
            price = v["list_price_used"]
            out[f"{t['id']}:{vid}"] = {
                "live": bool(t["active"] and t["salable"] and v["active"]),
                "title": t["name"],
                "sku": v["code"],
                "price": None if price is None else Decimal(price["decimal"]).quantize(CENT),
                "stock": int(v["forecast_quantity"] // 1),
            }
    return out


def compare_products(admin: Any, oscar: Any, verdict: Verdict, deleted: set[str]) -> None:
    """Tryton's variants against Oscar's products; ``deleted``: the UPCs of variants deleted
    in Tryton, which Oscar must not sell (absent or not public)."""
    expected = tryton_catalogue(admin)
    held: dict[str, dict[str, Any]] = {}
    for row in oscar_rows(oscar.url, oscar.ids["token"], "/api/admin/products/"):
        if row.get("upc"):
            held[row["upc"]] = row
    for upc in sorted(deleted - set(expected)):
        verdict.variants_gone += 1
        if held.get(upc, {}).get("is_public"):
            verdict.product_differences.append(f"{upc}: deleted in Tryton, still for sale")
    for upc, want in sorted(expected.items()):
        row = held.get(upc)
        if not want["live"]:
            verdict.variants_gone += 1
            if row is not None and row.get("is_public"):
                verdict.product_differences.append(f"{upc} ({want['sku']}): gone, still for sale")
            continue
        verdict.variants_live += 1
        if row is None:
            verdict.product_differences.append(f"{upc} ({want['sku']}): missing in Oscar")
            continue
        records = row.get("stockrecords") or []
        rec = records[0] if records else {}
        have = {
            "public": bool(row.get("is_public")),
            "title": row.get("title"),
            "sku": rec.get("partner_sku"),
            "price": Decimal(rec["price"]).quantize(CENT) if rec.get("price") else None,
            "stock": int(rec.get("num_in_stock") or 0) - int(rec.get("num_allocated") or 0),
        }
        wanted = {"public": True, **{k: want[k] for k in ("title", "sku", "price", "stock")}}
        wrong = [f"{k} {have[k]!r} != {wanted[k]!r}" for k in wanted if have[k] != wanted[k]]
        if wrong:
            verdict.product_differences.append(f"{upc} ({want['sku']}): {'; '.join(wrong)}")
    for upc, row in sorted(held.items()):
        if upc not in expected and upc not in deleted and row.get("is_public"):
            verdict.product_differences.append(f"{upc}: for sale in Oscar, unknown to Tryton")


def compare_orders(
    admin: Any, oscar: Any, verdict: Verdict, *, channel: str, shared: set[str]
) -> dict[str, str]:
    """Every Oscar order once in Tryton; the order numbers of ``shared`` e-mails (which two
    Tryton parties hold) are expected unposted. Returns those expected ones, number -> e-mail."""
    orders = oscar_rows(oscar.url, oscar.ids["token"], "/api/admin/orders/")
    verdict.orders = len(orders)
    sales = admin(
        "sale.sale",
        "search_read",
        [["web_shop", "=", admin.ids["web_shop"]]],
        0,
        None,
        [["id", "ASC"]],
        ["web_id", "state", "party"],
    )
    by_ref: dict[str, list[dict[str, Any]]] = {}
    for sale in sales:
        by_ref.setdefault(sale["web_id"], []).append(sale)
    parties = {
        p["id"]: (p["email"] or "").lower()
        for p in admin(
            "party.party",
            "read",
            sorted({s["party"] for s in sales}),
            ["email"],
        )
    }
    waiting: dict[str, str] = {}
    numbers = set()
    for order in orders:
        number, email = str(order["number"]), str(order.get("email") or "")
        numbers.add(f"{channel}:{number}")
        found = by_ref.get(f"{channel}:{number}", [])
        if email.lower() in shared:
            waiting[number] = email
            if found:
                verdict.customer_differences.append(
                    f"order {number}: posted although {email} is shared by two parties"
                )
            continue
        if not found:
            verdict.missing_orders.append(f"order {number} ({email}): not in Tryton")
            continue
        if len(found) > 1:
            verdict.duplicate_orders.append(f"order {number}: {len(found)} sales")
        sale = found[0]
        if sale["state"] not in POSTED_STATES:
            verdict.unprocessed_orders.append(f"order {number}: sale {sale['id']} {sale['state']}")
        if parties.get(sale["party"]) != email.lower():
            verdict.customer_differences.append(
                f"order {number}: sale party e-mail {parties.get(sale['party'])!r} != {email!r}"
            )
    for ref in sorted(set(by_ref) - numbers):
        verdict.order_differences.append(f"sale {ref}: in Tryton, no such Oscar order")
    return waiting


def compare_parties(admin: Any, verdict: Verdict, buyers: set[str], shared: set[str]) -> None:
    """One party per buyer e-mail (ignoring case); a shared one keeps its two."""
    rows = admin(
        "party.contact_mechanism",
        "search_read",
        [["type", "=", "email"]],
        0,
        None,
        None,
        ["value", "party"],
    )
    holders: dict[str, set[int]] = {}
    for row in rows:
        holders.setdefault(str(row["value"]).lower(), set()).add(row["party"])
    count = {email: len(parties) for email, parties in holders.items()}
    for email in sorted(buyers):
        want = 2 if email in shared else 1
        if email in count and count[email] != want:
            verdict.customer_differences.append(f"{email}: {count[email]} parties, not {want}")


def daemon_problems(state: Path, verdict: Verdict, waiting: dict[str, str]) -> None:
    """Dead jobs and open sync-log errors, each with its reason; those about an order whose
    e-mail two parties share are expected (a guess would be the defect)."""
    conn = sqlite3.connect(state)
    try:
        errors = conn.execute(
            "SELECT flow, external_id, message FROM sync_errors ORDER BY flow, external_id"
        ).fetchall()
        dead = conn.execute(
            "SELECT id, kind, payload, last_error FROM jobs WHERE state = 'dead' ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    told = set()
    for flow, external_id, message in errors:
        line = f"sync-log {flow} {external_id}: {message}"
        about = {n for n in waiting if n == str(external_id) or f"order {n} " in message}
        told |= about
        (verdict.expected_problems if about else verdict.unexpected_problems).append(line)
    for number in sorted(set(waiting) - told):
        verdict.order_differences.append(
            f"order {number} ({waiting[number]}, shared by two parties): no sync-log error"
        )
    for jid, kind, payload, last_error in dead:
        line = f"dead job {jid} {kind} {payload}: {last_error}"
        expected = kind == "post_order" and any(f'"{n}"' in payload for n in waiting)
        (verdict.expected_problems if expected else verdict.unexpected_problems).append(line)


def judge(
    admin: Any,
    oscar: Any,
    state: Path,
    *,
    channel: str,
    buyers: set[str],
    shared: set[str],
    deleted: set[str],
) -> Verdict:
    verdict = Verdict()
    compare_products(admin, oscar, verdict, deleted)
    waiting = compare_orders(admin, oscar, verdict, channel=channel, shared=shared)
    compare_parties(admin, verdict, buyers, shared)
    daemon_problems(state, verdict, waiting)
    return verdict
