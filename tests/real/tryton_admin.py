"""Test-side Tryton setup over plain JSON-RPC: products, stock and sales made as a Tryton user
would make them, independent of the connector under test."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "realservers"))

from rpc import Rpc


class TrytonAdmin:
    def __init__(self, server: Any) -> None:
        self.ids = server.ids
        self.rpc = Rpc(server.url, self.ids["db"])
        self.rpc.login(self.ids["user"], self.ids["password"])
        company = self.ids["company"]
        self.rpc.context = {"company": company, "companies": [company]}
        (self.unit,) = self.rpc.model("product.uom", "search", [["symbol", "=", "u"]], 0, 1, None)
        wh = self.rpc.model(
            "stock.location", "read", [self.ids["warehouse"]], ["storage_location", "code", "name"]
        )[0]
        self.storage = wh["storage_location"]
        (self.lost_found,) = self(
            "stock.location", "search", [["type", "=", "lost_found"]], 0, 1, None
        )
        self.warehouse_name = wh["code"] or wh["name"]

    def __call__(self, model: str, method: str, *args: Any) -> Any:
        return self.rpc.model(model, method, *args)

    def product(self, name: str, sku: str, price: str, *more_skus: str) -> tuple[int, list[int]]:
        (template,) = self(
            "product.template",
            "create",
            [
                {
                    "name": name,
                    "type": "goods",
                    "default_uom": self.unit,
                    "sale_uom": self.unit,
                    "salable": True,
                    "list_price": Decimal(price),
                    "products": [["create", [{"suffix_code": s} for s in (sku, *more_skus)]]],
                }
            ],
        )
        variants = self(
            "product.product", "search", [["template", "=", template]], 0, None, [["id", "ASC"]]
        )
        return template, variants

    def warehouse(self, name: str, code: str) -> int:
        """A second warehouse with its own zones; returns its storage location."""
        storage, inbound, outbound = self(
            "stock.location",
            "create",
            [{"name": f"{name} {zone}", "type": "storage"} for zone in ("storage", "in", "out")],
        )
        self(
            "stock.location",
            "create",
            [
                {
                    "name": name,
                    "code": code,
                    "type": "warehouse",
                    "storage_location": storage,
                    "input_location": inbound,
                    "output_location": outbound,
                    "lost_found_location": self.lost_found,
                }
            ],
        )
        return int(storage)

    def set_stock(self, quantities: dict[int, float], storage: int | None = None) -> None:
        (inventory,) = self(
            "stock.inventory",
            "create",
            [
                {
                    "location": storage or self.storage,
                    "company": self.ids["company"],
                    "lines": [
                        ["create", [{"product": p, "quantity": q} for p, q in quantities.items()]]
                    ],
                }
            ],
        )
        self("stock.inventory", "confirm", [inventory])

    def sales(self) -> list[dict[str, Any]]:
        return self(
            "sale.sale",
            "search_read",
            [],
            0,
            None,
            [["id", "ASC"]],
            ["web_id", "party", "state", "lines", "web_shop"],
        )

    def sale_lines(self, sale: int) -> list[tuple[str, float, Decimal]]:
        rows = self(
            "sale.line",
            "search_read",
            [["sale", "=", sale]],
            0,
            None,
            [["id", "ASC"]],
            ["product.code", "quantity", "unit_price"],
        )
        return [
            (r["product."]["code"], r["quantity"], Decimal(r["unit_price"]["decimal"]))
            for r in rows
        ]
