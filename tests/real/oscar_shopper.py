"""Test-side Oscar helpers: a shopper placing orders through the checkout API, and an admin
reading what Oscar holds, both over plain HTTP independent of the connector."""

from __future__ import annotations

from typing import Any

import httpx


def place_order(server: Any, email: str, items: list[tuple[str, int]]) -> dict[str, Any]:
    """Put ``(sku, quantity)`` in a fresh basket as an anonymous shopper and check out."""
    admin = Admin(server)
    products = {
        rec["partner_sku"]: row["id"] for row in admin.products() for rec in row["stockrecords"]
    }
    base = server.url
    with httpx.Client(base_url=base, timeout=60) as shopper:
        basket = None
        for sku, quantity in items:
            answer = shopper.post(
                "/api/basket/add-product/",
                json={"url": f"{base}/api/products/{products[sku]}/", "quantity": quantity},
            )
            assert answer.status_code == 200, answer.text
            basket = answer.json()["url"]
        answer = shopper.post(
            "/api/checkout/",
            json={
                "basket": basket,
                "guest_email": email,
                "shipping_address": {
                    "first_name": "Jane",
                    "last_name": "Doe",
                    "line1": "Main St 1",
                    "line4": "Amsterdam",
                    "postcode": "1011AB",
                    "country": f"{base}/api/countries/NL/",
                    "phone_number": "+31201234567",
                },
            },
        )
        assert answer.status_code == 200, answer.text
        order: dict[str, Any] = answer.json()
        return order


class Admin:
    def __init__(self, server: Any) -> None:
        self.url = server.url
        self.headers = {"Authorization": f"Token {server.ids['token']}"}

    def get(self, path: str) -> Any:
        with httpx.Client(base_url=self.url, timeout=60, headers=self.headers) as client:
            answer = client.get(path, params={"limit": 1000})
            assert answer.status_code == 200, answer.text
            return answer.json()

    def products(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.get("/api/admin/products/")["results"]
        return rows

    def record(self, sku: str) -> dict[str, Any]:
        for row in self.products():
            for rec in row["stockrecords"]:
                if rec["partner_sku"] == sku:
                    return {
                        **rec,
                        "title": row["title"],
                        "is_public": row["is_public"],
                        "upc": row["upc"],
                    }
        raise KeyError(sku)

    def orders(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.get("/api/admin/orders/")["results"]
        return rows
