"""The emulator's customers, purchases, store currency and sync logs.

Documented semantics reproduced (platform-specs.md §2.2-2.3): ``PUT /api/v2/customers/
{lookupBy}/{identifier}`` is an upsert (201 created, 200 replaced) of the *whole* customer:
fields left out are cleared, addresses left out deleted; the body must carry the URL's
identifier (else 400 ``idMismatch``); ``group`` and ``parent_customer_id`` must exist; another
customer holding the e-mail or external id is a 409. Purchases: ``PUT`` creates or replaces the
whole purchase, ``DELETE`` answers 204 or 404, the listing pages by ``limit`` <= 500 and
``offset``. The store currency is write-once (409 for another value; 404 while unset). The
sync log: a full-sync PUT sets both times (one left out is cleared) and replaces all errors
(<= 5,000, ``external_id`` unique in the request); GET answers 404 before the first full sync;
``DELETE /api/v1/sync-log`` forgets every log. Assumed: the customer fields wire.py marks, the
purchase body, and the partial-sync PATCH body (``last_partial_sync``, ``errors``, and a
``resolved`` list of external ids).
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

CUSTOMER_DEFAULTS: dict[str, Any] = {
    "first_name": "",
    "last_name": "",
    "company_name": "",
    "group": None,
    "accounting_ref": None,
    "price_lists": [],
    "discount_percentage": None,
    "payment_on_account": False,
    "parent_customer_id": None,
    "addresses": [],
}
MAX_LOG_ERRORS = 5000
MAX_PURCHASE_PAGE = 500


class AccountStore:
    def __init__(self, groups: list[str]) -> None:
        self.groups = set(groups)
        self.customers: dict[str, dict[str, Any]] = {}  # by external_id
        self.purchases: dict[str, dict[str, Any]] = {}  # by platform id
        self.currency: str | None = None
        self.sync_logs: dict[tuple[str, str], dict[str, Any]] = {}
        self._ids = itertools.count(5001)

    # -- customers --------------------------------------------------------------------------

    def _find(self, lookup: str, identifier: str) -> dict[str, Any] | None:
        if lookup == "platform":
            return self.customers.get(identifier)
        if lookup == "email":
            return next(
                (
                    c
                    for c in self.customers.values()
                    if (c.get("email") or "").lower() == identifier.lower()
                ),
                None,
            )
        return None

    def get_customer(self, lookup: str, identifier: str) -> Reply:
        if lookup not in ("platform", "email"):
            return problem(400, f"unknown lookup {lookup}")
        found = self._find(lookup, identifier)
        return (200, copy.deepcopy(found)) if found else not_found("customer")

    def put_customer(self, lookup: str, identifier: str, body: Any) -> Reply:
        if lookup not in ("platform", "email"):
            return problem(400, f"unknown lookup {lookup}")
        if not isinstance(body, dict):
            return problem(400, "the body must be an object")
        key = "external_id" if lookup == "platform" else "email"
        if str(body.get(key) or "").lower() != identifier.lower():
            return problem(
                400,
                f"the body's {key} must match the URL",
                [field_error(key, "does not match the URL", "idMismatch")],
            )
        if not isinstance(body.get("external_id"), str) or not body["external_id"]:
            return problem(400, "validation failed", [field_error("external_id", "required")])
        errors = []
        if body.get("group") is not None and body["group"] not in self.groups:
            errors.append(field_error("group", f"unknown group {body['group']}", "notFound"))
        parent = body.get("parent_customer_id")
        if parent is not None and parent not in self.customers:
            errors.append(field_error("parent_customer_id", "unknown parent customer", "notFound"))
        if errors:
            return problem(400, "validation failed", errors)
        current = self._find(lookup, identifier)
        for other in self.customers.values():
            if other is current:
                continue
            same_email = (other.get("email") or "").lower() == (body.get("email") or "").lower()
            if (body.get("email") and same_email) or other["external_id"] == body["external_id"]:
                return problem(409, "another customer has this email or external_id")
        record = {**CUSTOMER_DEFAULTS, **copy.deepcopy(body)}  # what is left out is cleared
        record["id"] = current["id"] if current else next(self._ids)
        if current is not None:
            del self.customers[current["external_id"]]
        self.customers[record["external_id"]] = record
        return (200 if current else 201), copy.deepcopy(record)

    # -- purchases --------------------------------------------------------------------------

    def put_purchase(self, lookup: str, identifier: str, body: Any) -> Reply:
        if lookup != "platform":
            return problem(400, "this emulator keys purchases by platform id only")
        if not isinstance(body, dict) or not isinstance(body.get("lines"), list):
            return problem(400, "validation failed", [field_error("lines", "required")])
        current = self.purchases.get(identifier)
        if "id" in body and current is not None and body["id"] != current["id"]:
            return problem(403, "the SparkLayer id of a purchase cannot change")
        record = copy.deepcopy(body)
        record["platform_id"] = identifier
        record["id"] = current["id"] if current else next(self._ids)
        self.purchases[identifier] = record
        return (200 if current else 201), copy.deepcopy(record)

    def get_purchase(self, lookup: str, identifier: str) -> Reply:
        found = self.purchases.get(identifier) if lookup == "platform" else None
        return (200, copy.deepcopy(found)) if found else not_found("purchase")

    def delete_purchase(self, lookup: str, identifier: str) -> Reply:
        if lookup == "platform" and self.purchases.pop(identifier, None) is not None:
            return 204, None
        return not_found("purchase")

    def list_purchases(self, query: dict[str, str]) -> Reply:
        try:
            limit = int(query.get("limit") or 50)
            offset = int(query.get("offset") or 0)
        except ValueError:
            return problem(400, "limit and offset must be integers")
        if limit < 1 or limit > MAX_PURCHASE_PAGE or offset < 0:
            return problem(400, "limit must be between 1 and 500", [field_error("limit", "range")])
        ordered = sorted(self.purchases.values(), key=lambda p: p["id"])
        return 200, copy.deepcopy(ordered[offset : offset + limit])

    # -- store currency ---------------------------------------------------------------------

    def get_currency(self) -> Reply:
        if self.currency is None:
            return not_found("store currency")
        return 200, {"currency_code": self.currency}

    def put_currency(self, body: Any) -> Reply:
        code = body.get("currency_code") if isinstance(body, dict) else None
        if not isinstance(code, str) or len(code) != 3:
            return problem(400, "validation failed", [field_error("currency_code", "ISO 4217")])
        if self.currency is not None and self.currency != code:
            return problem(409, f"the store currency is already {self.currency}")
        self.currency = code
        return 200, {"currency_code": code}

    # -- sync log ---------------------------------------------------------------------------

    def _errors(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]] | None, Reply | None]:
        errors = body.get("errors", [])
        if not isinstance(errors, list) or len(errors) > MAX_LOG_ERRORS:
            return None, problem(400, "errors must be an array of at most 5000")
        ids = [e.get("external_id") if isinstance(e, dict) else None for e in errors]
        if not all(isinstance(i, str) and i for i in ids) or len(set(ids)) != len(ids):
            return None, problem(400, "each error needs an external_id, unique within the request")
        return [dict(e) for e in errors], None

    def put_sync_log(self, integration: str, data_type: str, body: Any) -> Reply:
        if not isinstance(body, dict):
            return problem(400, "the body must be an object")
        errors, refusal = self._errors(body)
        if refusal is not None or errors is None:
            return refusal or problem(400, "invalid")
        old = self.sync_logs.get((integration, data_type), {})
        self.sync_logs[(integration, data_type)] = {
            "started_full_sync": body.get("started_full_sync"),
            "last_full_sync": body.get("last_full_sync"),
            "last_full_sync_succeeded": body.get("last_full_sync_succeeded"),
            "last_partial_sync": old.get("last_partial_sync"),
            "errors": {e["external_id"]: e for e in errors},
        }
        return 204, None

    def patch_sync_log(self, integration: str, data_type: str, body: Any) -> Reply:
        log = self.sync_logs.get((integration, data_type))
        if log is None:
            return not_found("sync log (record a full sync first)")
        if not isinstance(body, dict):
            return problem(400, "the body must be an object")
        errors, refusal = self._errors(body)
        if refusal is not None or errors is None:
            return refusal or problem(400, "invalid")
        if "last_partial_sync" in body:
            log["last_partial_sync"] = body["last_partial_sync"]
        for error in errors:
            log["errors"][error["external_id"]] = error
        for gone in body.get("resolved") or []:
            log["errors"].pop(gone, None)
        return 204, None

    def get_sync_log(self, integration: str, data_type: str, *, errors: bool) -> Reply:
        log = self.sync_logs.get((integration, data_type))
        if log is None:
            return not_found("sync log")
        status = {k: v for k, v in log.items() if k != "errors"}
        status["error_count"] = len(log["errors"])
        if errors:
            status["errors"] = list(log["errors"].values())[:MAX_LOG_ERRORS]
        return 200, status

    def delete_sync_logs(self) -> Reply:
        self.sync_logs.clear()
        return 204, None
