"""Sale orders, sale-time products and settings in the sandbox back office."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import anyio
import pytest
from sales_helpers import erp_client, order, product, run

from syncwright.connectors.base import AlreadyPosted, OrderTarget, SettingsSource
from syncwright.connectors.errors import PermanentError
from syncwright.connectors.model import Shipment
from syncwright.connectors.sandbox.clients.base import ConflictError

if TYPE_CHECKING:
    from tests.connectors.sandbox.conftest import Sandbox

SKU_A, SKU_B = "SW-000001-01", "SW-000002-02"


def test_an_order_posts_once_and_a_second_post_is_already_posted(erp: Sandbox) -> None:
    sale = order("so_1", (SKU_A, 2, "19.99"), (SKU_B, 1, "5.00"), b2b=True)

    async def post() -> tuple[str, str | None]:
        target = erp_client(erp)
        assert isinstance(target, OrderTarget)
        assert await target.find_order("so_1") is None
        created = await target.create_order(sale, customer_id="7", channel_ref="so_1")
        with pytest.raises(AlreadyPosted) as again:
            await target.create_order(sale, customer_id="7", channel_ref="so_1")
        assert (again.value.channel_ref, again.value.existing_id) == ("so_1", created)
        found = await target.find_order("so_1")
        await target.aclose()
        return created, found

    created, found = run(post)
    assert found == created
    with erp.client() as client:
        stored = client.get(f"/api/orders/{created}").json()
        assert stored["channel_ref"] == "so_1" and stored["customer_id"] == 7
        assert stored["total"] == "44.98" and stored["b2b"] is True
        assert [(line["sku"], line["quantity"]) for line in stored["lines"]] == [
            (SKU_A, 2),
            (SKU_B, 1),
        ]
        assert stored["shipping_address"]["line1"] == "Kerkstraat 1"
        repeat = client.post(
            "/api/orders",
            json={**stored, "lines": stored["lines"], "customer_id": 7},
        )
        assert repeat.status_code == 409 and repeat.json()["existing_id"] == int(created)
        stats = client.get("/admin/stats").json()
        assert (stats["orders_created"], stats["orders_duplicate"]) == (1, 2)


def test_racing_posts_of_one_order_leave_one_order(erp: Sandbox) -> None:
    sale = order("race/1", (SKU_A, 1, "10.00"))
    outcomes: list[str] = []

    async def post_once() -> None:
        target = erp_client(erp)
        try:
            outcomes.append(await target.create_order(sale, customer_id="3", channel_ref="race/1"))
        except AlreadyPosted as exc:
            outcomes.append(f"already {exc.existing_id}")
        await target.aclose()

    async def race() -> str | None:
        async with anyio.create_task_group() as group:
            for _ in range(6):
                group.start_soon(post_once)
        target = erp_client(erp)
        found = await target.find_order("race/1")  # a '/' in the reference is fine
        await target.aclose()
        return found

    found = run(race)
    assert sorted(outcomes) == [found] + [f"already {found}"] * 5


def test_unknown_skus_and_customers_are_refused_and_nothing_is_kept(erp: Sandbox) -> None:
    async def post() -> None:
        target = erp_client(erp)
        with pytest.raises(PermanentError) as sku:
            await target.create_order(
                order("so_9", (SKU_A, 1, "1.00"), ("NOPE-1", 1, "2.00")),
                customer_id="1",
                channel_ref="so_9",
            )
        assert sku.value.status == 422 and "unknown SKU 'NOPE-1' in line 2" in str(sku.value)
        with pytest.raises(PermanentError) as who:
            await target.create_order(
                order("so_9", (SKU_A, 1, "1.00")), customer_id="99999", channel_ref="so_9"
            )
        assert who.value.status == 422 and "unknown customer 99999" in str(who.value)
        with pytest.raises(PermanentError, match="not a back-office id"):
            await target.create_order(
                order("so_9", (SKU_A, 1, "1.00")), customer_id="sc_1", channel_ref="so_9"
            )
        assert await target.find_order("so_9") is None
        await target.aclose()

    run(post)
    with erp.client() as client:
        stats = client.get("/admin/stats").json()
        assert (stats["orders_created"], stats["orders_rejected"]) == (0, 2)
        assert client.get("/api/orders").json() == {"items": [], "next": None}
        bad = client.post("/api/orders", json={"channel_ref": "x", "customer_id": 1})
        assert bad.status_code == 422 and "'lines' must be a non-empty list" in bad.text


def test_amendments_and_shipments(erp: Sandbox) -> None:
    sale = order("so_5", (SKU_A, 1, "10.00"))
    parcel = Shipment(external_id="sf_1", lines=((SKU_A, 1),), carrier="PostNL", tracking="3S123")

    async def flow() -> str:
        target = erp_client(erp)
        order_id = await target.create_order(sale, customer_id="2", channel_ref="so_5")
        amended = order("so_5", (SKU_A, 1, "10.00"), (SKU_B, 3, "4.00"))
        assert amended.total == Decimal("22.00")
        await target.amend_order(order_id, amended)
        await target.add_shipment(order_id, parcel)
        await target.add_shipment(order_id, parcel)  # posted again after a crash: harmless
        await target.amend_order(order_id, amended.model_copy(update={"status": "closed"}))
        with pytest.raises(PermanentError) as closed:
            await target.amend_order(order_id, amended)
        assert closed.value.status == 409 and "closed" in str(closed.value)
        with pytest.raises(PermanentError) as missing:
            await target.add_shipment("424242", parcel)
        assert missing.value.status == 404
        await target.aclose()
        return order_id

    order_id = run(flow)
    with erp.client() as client:
        stored = client.get(f"/api/orders/{order_id}").json()
        assert stored["status"] == "closed" and stored["total"] == "22.00"
        assert [line["sku"] for line in stored["lines"]] == [SKU_A, SKU_B]
        assert [s["external_id"] for s in stored["shipments"]] == ["sf_1"]
        assert stored["shipments"][0]["lines"] == [[SKU_A, 1]]
        assert stored["modified_at"] >= stored["created_at"]
        stats = client.get("/admin/stats").json()
        assert (stats["orders_amended"], stats["shipments_added"]) == (2, 1)


def test_a_product_created_at_sale_time_and_a_duplicate_sku(erp: Sandbox) -> None:
    async def create() -> None:
        target = erp_client(erp)
        new_id = await target.create_product(product("shop-77", "NEW-1", "NEW-2", price="12.50"))
        created = await target.get_product("NEW-2")
        assert created is not None and created.external_id == new_id
        assert [v.sku for v in created.variants] == ["NEW-1", "NEW-2"]
        assert created.variants[0].price == Decimal("12.50")
        with pytest.raises(ConflictError) as taken:
            await target.create_product(product("shop-78", "OTHER-1", "NEW-1"))
        assert taken.value.status == 409 and taken.value.existing_id == new_id
        assert "SKU 'NEW-1' already belongs to product" in str(taken.value)
        assert await target.get_product("OTHER-1") is None  # all or nothing
        await target.aclose()

    run(create)
    with erp.client() as client:
        for body, message in [
            ({"title": "T", "variants": []}, "product has no variants"),
            ({"title": "T", "variants": [{"price": "1.00"}]}, "variant #1 has no SKU"),
            ({"title": "T", "variants": [{"sku": "Z-1"}]}, "variant 'Z-1' has no price"),
            ({"title": " ", "variants": [{"sku": "Z-1", "price": "1"}]}, "title is empty"),
        ]:
            response = client.post("/api/products", json=body)
            assert (response.status_code, response.json()["error"]) == (422, message)


def test_settings_and_their_changes(erp: Sandbox) -> None:
    async def read() -> tuple[str, str]:
        source = erp_client(erp)
        assert isinstance(source, SettingsSource)
        settings = await source.get_settings()
        await source.aclose()
        return settings.currency, settings.name

    assert run(read) == ("EUR", "Sandbox ERP")
    with erp.client() as client:
        before = client.get("/api/settings").json()["modified_at"]
        client.post("/admin/clock", json={"offset_seconds": 60}).raise_for_status()
        same = client.put("/admin/settings", json={"currency": "EUR"}).json()
        assert same["modified_at"] == before  # no change, no bump
        changed = client.put("/admin/settings", json={"currency": "GBP"}).json()
        assert changed["currency"] == "GBP" and changed["modified_at"] > before
        refused = client.put("/admin/settings", json={"currency": "pounds"})
        assert refused.status_code == 422
    assert run(read) == ("GBP", "Sandbox ERP")
