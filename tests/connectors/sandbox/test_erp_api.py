"""The sandbox back office over real HTTP: auth, change paging, clock games, deletes, stats."""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from harness import wait_until

if TYPE_CHECKING:
    from tests.connectors.sandbox.conftest import Sandbox


def _all_changes(
    client: httpx.Client, path: str, limit: int, **params: Any
) -> list[list[dict[str, Any]]]:
    """Every page of a change listing, following ``next``."""
    pages: list[list[dict[str, Any]]] = []
    query: dict[str, Any] = {"limit": limit, **params}
    while True:
        body = client.get(path, params=query).raise_for_status().json()
        pages.append(body["items"])
        if body["next"] is None:
            return pages
        query.update(body["next"])


def _key(item: dict[str, Any]) -> tuple[str, int]:
    return item["modified_at"], item["id"]


def test_requests_without_the_right_key_are_refused(erp: Sandbox) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic test-key"}):
        response = httpx.get(f"{erp.url}/api/products", headers=headers)
        assert response.status_code == 401
        assert "API key" in response.json()["error"]
    with erp.client("wrong") as client:
        assert client.get("/admin/stats").status_code == 401


def test_limit_above_1000_is_rejected_with_a_clear_message(erp: Sandbox) -> None:
    with erp.client() as client:
        response = client.get("/api/products/changes", params={"limit": 1001})
        assert response.status_code == 400
        assert response.json() == {"error": "'limit' must be at most 1000, got 1001"}
        assert client.get("/api/stock", params={"limit": 1000}).status_code == 200
        assert client.get("/api/products", params={"limit": "x"}).status_code == 400


def test_paging_over_equal_timestamps_neither_skips_nor_repeats(erp: Sandbox) -> None:
    with erp.client() as client:
        pages = _all_changes(client, "/api/products/changes", limit=7)
        everything = client.get("/api/products", params={"limit": 1000}).json()["items"]
    items = [item for page in pages for item in page]
    assert sorted(item["id"] for item in items) == [p["id"] for p in everything]
    assert [_key(i) for i in items] == sorted(_key(i) for i in items)
    # The seed imports products in batches sharing one second, so some page boundary must
    # fall inside a run of equal timestamps; otherwise this test would prove nothing.
    split_ties = [a[-1]["modified_at"] == b[0]["modified_at"] for a, b in itertools.pairwise(pages)]
    assert any(split_ties)


def test_stock_changes_page_by_modified_and_row_id(erp: Sandbox) -> None:
    with erp.client() as client:
        pages = _all_changes(client, "/api/stock/changes", limit=9)
        listed = client.get("/api/stock", params={"limit": 1000}).json()["items"]
    rows = [row for page in pages for row in page]
    assert len(rows) == len(listed) == 60 * 2 * 2
    assert len({row["id"] for row in rows}) == len(rows)
    assert [_key(r) for r in rows] == sorted(_key(r) for r in rows)


def test_since_is_inclusive(erp: Sandbox) -> None:
    with erp.client() as client:
        everything = [i for p in _all_changes(client, "/api/products/changes", 1000) for i in p]
        middle = everything[len(everything) // 2]["modified_at"]
        since = [
            i for p in _all_changes(client, "/api/products/changes", 5, since=middle) for i in p
        ]
    assert [i["id"] for i in since] == [i["id"] for i in everything if i["modified_at"] >= middle]
    assert since[0]["modified_at"] == middle


def test_clock_offset_moves_new_timestamps(erp: Sandbox) -> None:
    with erp.client() as client:
        answer = client.post("/admin/clock", json={"offset_seconds": -120}).json()
        assert answer["offset_seconds"] == -120
        product = client.patch("/admin/products/1", json={"title": "Late Clock"}).json()
    stamp = datetime.fromisoformat(product["modified_at"].replace("Z", "+00:00"))
    behind = time.time() - stamp.timestamp()
    assert 115 <= behind <= 130, behind


def test_modified_at_override_simulates_a_late_commit(erp: Sandbox) -> None:
    with erp.client() as client:
        latest = [i for p in _all_changes(client, "/api/products/changes", 1000) for i in p][-1]
        old = "2020-01-02T03:04:05Z"
        edited = client.patch(
            "/admin/products/5", json={"title": "Committed late", "modified_at": old}
        ).json()
        assert edited["modified_at"] == old
        after_latest = client.get(
            "/api/products/changes", params={"since": latest["modified_at"]}
        ).json()["items"]
        assert 5 not in [i["id"] for i in after_latest]
        first = client.get("/api/products/changes", params={"limit": 1}).json()["items"][0]
        assert (first["id"], first["title"]) == (5, "Committed late")


def test_delete_shows_as_discontinued_change_and_leaves_the_listing(erp: Sandbox) -> None:
    with erp.client() as client:
        before = client.get("/api/products/3").json()
        assert before["deleted"] is False
        client.delete("/admin/products/3").raise_for_status()
        changes = client.get(
            "/api/products/changes", params={"since": before["modified_at"]}
        ).json()["items"]
        deleted = next(i for i in changes if i["id"] == 3)
        assert deleted["status"] == "discontinued" and deleted["deleted"] is True
        assert deleted["modified_at"] >= before["modified_at"]
        listed = client.get("/api/products", params={"limit": 1000}).json()["items"]
        assert 3 not in [p["id"] for p in listed] and len(listed) == 59
        assert client.get("/api/products/3").json()["deleted"] is True
        assert client.delete("/admin/products/999").status_code == 404


def test_stock_changes_do_not_bump_the_product(erp: Sandbox) -> None:
    with erp.client() as client:
        product = client.get("/api/products/2").json()
        sku = product["variants"][0]["sku"]
        time.sleep(1.1)  # a new second, so a bump would show
        set_ = client.put("/admin/stock", json={"sku": sku, "location": "north", "quantity": 77})
        row = next(r for r in set_.json()["items"] if r["location"] == "north")
        assert row["quantity"] == 77 and row["modified_at"] > product["modified_at"]
        assert client.get("/api/products/2").json()["modified_at"] == product["modified_at"]
        changes = client.get("/api/stock/changes", params={"since": row["modified_at"]}).json()[
            "items"
        ]
        assert [(r["sku"], r["location"], r["quantity"]) for r in changes] == [(sku, "north", 77)]
        bad = client.put("/admin/stock", json={"sku": sku, "location": "moon", "quantity": 1})
        assert bad.status_code == 409 and "moon" in bad.json()["error"]
        unknown = client.put(
            "/admin/stock", json={"sku": "NOPE", "location": "north", "quantity": 1}
        )
        assert unknown.status_code == 404


def test_a_variant_edit_bumps_its_product(erp: Sandbox) -> None:
    with erp.client() as client:
        product = client.get("/api/products/4").json()
        time.sleep(1.1)
        variant = product["variants"][1]
        edited = client.patch(
            "/admin/products/4", json={"variants": [{"id": variant["id"], "price": "12.50"}]}
        ).json()
    assert edited["modified_at"] > product["modified_at"]
    assert edited["variants"][1]["price"] == "12.50"
    assert edited["title"] == product["title"]


def test_created_products_are_found_by_id_and_sku(erp: Sandbox) -> None:
    with erp.client() as client:
        created = client.post(
            "/admin/products",
            json={
                "title": "Harbour Raincoat",
                "custom": {"brand": "Marlow"},
                "variants": [
                    {"sku": "RAIN-S", "price": "99.00", "options": {"Size": "S"}},
                    {"sku": None, "price": "99.00", "title": "No SKU yet"},
                ],
            },
        )
        assert created.status_code == 201
        body = created.json()
        assert body["handle"] == f"harbour-raincoat-{body['id']}"
        assert client.get("/api/products/by-sku/RAIN-S").json()["id"] == body["id"]
        stock = client.get("/api/stock/by-sku", params={"skus": "RAIN-S"}).json()["items"]
        assert {(r["location"], r["quantity"]) for r in stock} == {("central", 0), ("north", 0)}
        again = client.post(
            "/admin/products", json={"title": "Copy", "variants": [{"sku": "RAIN-S", "price": "1"}]}
        )
        assert again.status_code == 409
        assert client.post("/admin/products", json={"title": ""}).status_code == 400
        assert client.get("/api/products/by-sku/NOPE").status_code == 404


def test_stats_count_api_calls_per_endpoint(erp: Sandbox) -> None:
    with erp.client() as client:
        client.get("/api/products/changes")
        client.get("/api/products/changes", params={"limit": 5})
        client.get("/api/products/1")
        client.get("/api/stock", params={"limit": 5000})  # refused, still a call
        client.patch("/admin/products/1", json={"title": "Admin calls are not counted"})
        stats = client.get("/admin/stats").json()
        assert stats["calls"] == {
            "GET /api/products/changes": 2,
            "GET /api/products/{id}": 1,
            "GET /api/stock": 1,
        }
        assert stats["total_calls"] == 4
        client.post("/admin/reset-stats")
        assert client.get("/admin/stats").json()["total_calls"] == 0


def test_call_times_list_when_each_api_call_arrived(erp: Sandbox) -> None:
    with erp.client() as client:
        before = time.time()
        client.get("/api/products/changes")
        client.get("/api/stock", params={"limit": 5000})  # refused, still a call
        client.patch("/admin/products/1", json={"title": "Admin calls are not counted"})
        times = client.get("/admin/call-times").json()["times"]
        assert len(times) == 2
        assert before <= times[0] <= times[1] <= time.time()
        later = client.get("/admin/call-times", params={"since": times[1] + 1}).json()
        assert later == {"times": []}
        assert client.get("/admin/call-times", params={"since": "x"}).status_code == 400
        client.post("/admin/reset-stats")
        assert client.get("/admin/call-times").json() == {"times": []}


def test_the_change_generator_edits_at_the_asked_rate(erp: Sandbox) -> None:
    with erp.client() as client:
        assert client.post("/admin/generator", json={"rate": 200}).json()["rate"] == 200
        wait_until(
            lambda: client.get("/admin/stats").json()["generator"]["applied"] >= 20,
            timeout=10,
            message="the generator applied nothing",
        )
        # Stopped: the answer comes once the tick in flight has applied its changes.
        applied = client.post("/admin/generator", json={"rate": 0}).json()["applied"]
        assert client.get("/admin/stats").json()["generator"]["applied"] == applied
        assert client.post("/admin/generator", json={"rate": -1}).status_code == 400
