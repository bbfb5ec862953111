"""The sandbox shop over real HTTP: batch upserts, inventory writes, read-back and stats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from tests.connectors.sandbox.conftest import Sandbox


def product(external_id: str, *skus: str | None, title: str = "Canvas Tote") -> dict[str, Any]:
    return {
        "external_id": external_id,
        "title": title,
        "handle": f"tote-{external_id}",
        "status": "live",
        "custom": {"brand": "Marlow"},
        "restock_date": None,
        "variants": [
            {
                "external_id": f"{external_id}-{n}",
                "sku": sku,
                "title": f"V{n}",
                "weight_grams": 300,
                "position": n,
                "image_url": None,
                "options": {"Colour": f"C{n}"},
                "price": "25.00",
                "rrp": None,
            }
            for n, sku in enumerate(skus, 1)
        ],
    }


def upsert(client: httpx.Client, *products: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.put("/api/products/batch", json={"products": list(products)})
    response.raise_for_status()
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_a_refused_item_leaves_the_rest_of_the_batch(shop: Sandbox) -> None:
    with shop.client() as client:
        results = upsert(
            client,
            product("1", "A-1", "A-2"),
            product("2", "B-1", None),
            product("3", "C-1", title="  "),
            product("4", "D-1"),
            {"external_id": "5", "title": 7},
        )
        assert [r["error"] for r in results] == [
            None,
            "variant 2-2 has no SKU",
            "title is empty",
            None,
            "invalid product: title: Input should be a valid string",
        ]
        assert [r["external_id"] for r in results] == ["1", "2", "3", "4", "5"]
        assert results[0]["id"].startswith("sp_") and results[1]["id"] is None
        found = client.get("/api/products", params={"external_ids": "1,2,3,4"}).json()["items"]
        assert [p["external_id"] for p in found] == ["1", "4"]
        assert [v["sku"] for v in found[0]["variants"]] == ["A-1", "A-2"]
        assert found[0]["variants"][0]["price"] == "25.00"


def test_an_upsert_replaces_the_variant_set_and_keeps_the_shop_id(shop: Sandbox) -> None:
    with shop.client() as client:
        first = upsert(client, product("9", "X-1", "X-2"))[0]
        client.post(
            "/api/inventory/set",
            json={"levels": [{"sku": "X-2", "location": "north", "quantity": 4}]},
        ).raise_for_status()
        again = upsert(client, product("9", "X-3", "X-1", title="Renamed"))[0]
        assert again["id"] == first["id"]
        held = client.get("/api/products", params={"external_ids": "9"}).json()["items"][0]
        assert held["title"] == "Renamed"
        assert [v["sku"] for v in held["variants"]] == ["X-3", "X-1"]
        inventory = client.get("/api/inventory", params={"skus": "X-2"}).json()["items"]
        assert inventory == []  # the removed variant's stock went with it


def test_a_sku_of_another_product_is_refused(shop: Sandbox) -> None:
    with shop.client() as client:
        upsert(client, product("1", "SAME"))
        results = upsert(client, product("2", "SAME"), product("3", "OWN"), product("3", "OWN"))
        assert results[0]["error"] == "SKU 'SAME' already belongs to product 1"
        assert results[1]["error"] is None
        assert results[2]["error"] == "product 3 appears twice in this batch"


def test_batches_above_the_limit_are_rejected_whole(shop: Sandbox) -> None:
    with shop.client() as client:
        many = [product(str(n), f"S-{n}") for n in range(251)]
        response = client.put("/api/products/batch", json={"products": many})
        assert response.status_code == 400
        assert response.json()["error"] == "at most 250 products per request, got 251"
        levels = [{"sku": "S", "location": "north", "quantity": 1}] * 251
        assert client.post("/api/inventory/set", json={"levels": levels}).status_code == 400
        assert client.put("/api/products/batch", content=b"{nope").status_code == 400


def test_inventory_refuses_unknown_skus_and_locations_per_item(shop: Sandbox) -> None:
    with shop.client() as client:
        upsert(client, product("1", "K-1"))
        results = client.post(
            "/api/inventory/set",
            json={
                "levels": [
                    {"sku": "K-1", "location": "central", "quantity": 5},
                    {"sku": "GHOST", "location": "central", "quantity": 1},
                    {"sku": "K-1", "location": "moon", "quantity": 1},
                    {"sku": "K-1", "location": "north", "quantity": "3"},
                ]
            },
        ).json()["results"]
        assert results[0]["error"] is None
        assert results[1]["error"] == "unknown SKU 'GHOST': write its product first"
        assert "unknown location 'moon'" in results[2]["error"]
        assert results[3]["error"] == "quantity must be an integer"
        held = client.get("/api/inventory", params={"skus": "K-1"}).json()["items"]
        assert [(r["location"], r["quantity"]) for r in held] == [("central", 5)]


def test_stats_count_calls_and_items_written(shop: Sandbox) -> None:
    with shop.client() as client:
        upsert(client, product("1", "A"), product("2", None), product("3", "C"))
        client.post(
            "/api/inventory/set",
            json={
                "levels": [
                    {"sku": "A", "location": "north", "quantity": 1},
                    {"sku": "C", "location": "north", "quantity": 2},
                    {"sku": "Z", "location": "north", "quantity": 3},
                ]
            },
        )
        client.get("/api/products", params={"limit": 10})
        stats = client.get("/admin/stats").json()
        assert stats["calls"] == {
            "PUT /api/products/batch": 1,
            "POST /api/inventory/set": 1,
            "GET /api/products": 1,
        }
        assert (stats["product_writes"], stats["product_errors"]) == (2, 1)
        assert (stats["stock_writes"], stats["stock_errors"]) == (2, 1)
        reset = client.post("/admin/reset-stats").json()
        assert reset["product_writes"] == reset["stock_writes"] == reset["total_calls"] == 0


def test_listings_page_by_shop_id(shop: Sandbox) -> None:
    with shop.client() as client:
        for start in range(0, 30, 10):
            upsert(client, *[product(str(n), f"L-{n}") for n in range(start, start + 10)])
        seen, query = [], {"limit": 7}
        while True:
            body = client.get("/api/products", params=query).json()
            seen += [p["external_id"] for p in body["items"]]
            if body["next"] is None:
                break
            query.update(body["next"])
        assert seen == [str(n) for n in range(30)]
        assert client.get("/api/inventory", params={"limit": 5}).json() == {
            "items": [],
            "next": None,
        }
