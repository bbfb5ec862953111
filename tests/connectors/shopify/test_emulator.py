"""The emulator behaves like Shopify where the connector depends on it."""

from __future__ import annotations

import json

import httpx
from harness import async_wait_until
from shopify_support import SECRET, TOKEN, channel, post, run, running

from syncwright.connectors.shopify.emulator.bucket import Bucket
from syncwright.connectors.shopify.emulator.webhooks import sign
from syncwright.connectors.testing import sample_products

SET = """mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) {
  userErrors { field code message } } }"""
SET_KEY = """mutation($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    userErrors { field code message } } }"""


def test_throttled_response_is_shaped_like_shopify() -> None:
    async def main() -> None:
        async with running(bucket=Bucket(size=100, restore_rate=1)) as emu:
            body = (await post(emu, "{ products(first: 250) { nodes { id } } }")).json()
            assert body["errors"] == [{
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
            }]  # fmt: skip
            cost = body["extensions"]["cost"]
            assert cost["requestedQueryCost"] == 252 and cost["actualQueryCost"] is None
            assert cost["throttleStatus"]["maximumAvailable"] == 100.0
            assert cost["throttleStatus"]["restoreRate"] == 1.0
            assert cost["throttleStatus"]["currentlyAvailable"] <= 100
            # A cheap query still passes, and actual cost is refunded to what it used.
            ok = (await post(emu, "{ products(first: 50) { nodes { id } } }")).json()
            assert ok["data"] == {"products": {"nodes": []}}
            assert ok["extensions"]["cost"]["requestedQueryCost"] == 52
            assert ok["extensions"]["cost"]["actualQueryCost"] == 2

    run(main)


def test_max_cost_and_page_limits() -> None:
    async def main() -> None:
        async with running() as emu:
            big = "{ products(first: 250) { nodes { variants(first: 250) { nodes { id } } } } }"
            errors = (await post(emu, big)).json()["errors"]
            assert errors[0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
            over = (await post(emu, "{ products(first: 251) { nodes { id } } }")).json()
            assert "between 0 and 250" in over["errors"][0]["message"]

    run(main)


def test_search_filters_and_cursor_paging() -> None:
    async def main() -> None:
        async with running() as emu:
            shop = channel(emu)
            await shop.upsert_products(sample_products("SF", 3))
            for n in range(7):
                emu.shop.place_order(
                    [{"sku": "SF-0-0", "quantity": 1}], email=f"b{n % 2}@example.com"
                )
            emu.shop.orders[max(emu.shop.orders)]["source_identifier"] = "ERP-42"
            q = (
                "query($q: String, $a: String) { orders(first: 3, query: $q, after: $a,"
                " sortKey: UPDATED_AT) { nodes { id } pageInfo { hasNextPage endCursor } } }"
            )
            ids, after = [], None
            while True:
                data = (await post(emu, q, {"q": None, "a": after})).json()["data"]["orders"]
                ids += [n["id"] for n in data["nodes"]]
                if not data["pageInfo"]["hasNextPage"]:
                    break
                after = data["pageInfo"]["endCursor"]
            assert len(ids) == len(set(ids)) == 7
            by_email = (await post(emu, q, {"q": "email:B1@example.com"})).json()
            assert len(by_email["data"]["orders"]["nodes"]) == 3
            by_ref = (await post(emu, q, {"q": "source_identifier:ERP-42"})).json()
            assert len(by_ref["data"]["orders"]["nodes"]) == 1
            future = (await post(emu, q, {"q": "updated_at:>'2999-01-01T00:00:00Z'"})).json()
            assert future["data"]["orders"]["nodes"] == []
            items = (
                '{ inventoryItems(first: 5, query: "sku:SF-1-0 OR sku:SF-2-1") { nodes { sku } } }'
            )
            skus = {
                n["sku"] for n in (await post(emu, items)).json()["data"]["inventoryItems"]["nodes"]
            }
            assert skus == {"SF-1-0", "SF-2-1"}
            # Customers' updated_at matches whole days.
            customer = emu.shop.customer_by_email("b0@example.com")
            assert customer is not None
            day = customer["updated_at"].strftime("%Y-%m-%d")
            cq = "query($q: String) { customers(first: 5, query: $q) { nodes { id } } }"
            same_day = (await post(emu, cq, {"q": f"updated_at:>='{day}T23:59:59Z'"})).json()
            assert len(same_day["data"]["customers"]["nodes"]) == 2
            await shop.aclose()

    run(main)


def test_user_errors_on_invalid_input() -> None:
    async def main() -> None:
        async with running() as emu:
            shop = channel(emu)
            [bad] = sample_products("UE", 1)
            variant = bad.variants[0].model_copy(update={"price": -1})
            results = await shop.upsert_products([bad.model_copy(update={"variants": (variant,)})])
            assert not results[0].ok and "price" in (results[0].error or "")
            [good] = sample_products("UE", 1)
            clash = good.model_copy(update={"external_id": "UE-other"})
            await shop.upsert_products([good])
            [taken] = await shop.upsert_products([clash])
            assert not taken.ok and "Handle has already been taken" in (taken.error or "")
            await shop.aclose()

    run(main)


def test_compare_quantities_and_idempotency() -> None:
    async def main() -> None:
        async with running() as emu:
            shop = channel(emu)
            await shop.upsert_products(sample_products("CQ", 1))
            item = emu.shop.item_by_sku("CQ-0-0")
            assert item is not None
            loc = f"gid://shopify/Location/{emu.shop.primary_location}"
            row = {
                "inventoryItemId": f"gid://shopify/InventoryItem/{item['id']}",
                "locationId": loc,
                "quantity": 5,
            }
            base = {"name": "available", "reason": "correction"}
            old = (
                await post(emu, SET, {"input": {**base, "quantities": [row]}}, version="2025-10")
            ).json()
            assert (
                old["data"]["inventorySetQuantities"]["userErrors"][0]["code"]
                == "COMPARE_QUANTITY_REQUIRED"
            )
            stale = {**base, "quantities": [{**row, "compareQuantity": 3}]}
            errs = (await post(emu, SET, {"input": stale}, version="2025-10")).json()
            assert (
                errs["data"]["inventorySetQuantities"]["userErrors"][0]["code"]
                == "COMPARE_QUANTITY_STALE"
            )
            assert item["levels"][emu.shop.primary_location] == 0
            fresh = {**base, "quantities": [{**row, "changeFromQuantity": 0}]}
            first = (await post(emu, SET_KEY, {"input": fresh, "key": "k1"})).json()
            assert first["data"]["inventorySetQuantities"]["userErrors"] == []
            assert item["levels"][emu.shop.primary_location] == 5
            again = (await post(emu, SET_KEY, {"input": fresh, "key": "k1"})).json()
            assert again["data"]["inventorySetQuantities"]["userErrors"] == []  # replayed
            other = {**base, "quantities": [{**row, "quantity": 9, "changeFromQuantity": 5}]}
            clash = (await post(emu, SET_KEY, {"input": other, "key": "k1"})).json()
            assert (
                clash["data"]["inventorySetQuantities"]["userErrors"][0]["code"]
                == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
            )
            stale_new = (await post(emu, SET_KEY, {"input": {**fresh}, "key": "k2"})).json()
            assert (
                stale_new["data"]["inventorySetQuantities"]["userErrors"][0]["code"]
                == "CHANGE_FROM_QUANTITY_STALE"
            )
            required = (await post(emu, SET, {"input": fresh}, version="2026-04")).json()
            assert "@idempotent" in required["errors"][0]["message"]
            await shop.aclose()

    run(main)


def test_bulk_operation_writes_jsonl_with_parent_ids() -> None:
    async def main() -> None:
        async with running() as emu:
            shop = channel(emu)
            products = sample_products("BK", 4)
            await shop.upsert_products(products)
            from syncwright.connectors.shopify import bulk, queries

            url = await bulk.run(shop.t, queries.BULK_PRODUCTS, "shop")
            assert url and url.endswith(".jsonl")
            async with httpx.AsyncClient() as client:
                lines = [json.loads(x) for x in (await client.get(url)).text.splitlines()]
            parents = [x for x in lines if "__parentId" not in x]
            children = [x for x in lines if "__parentId" in x]
            assert len(parents) == 4 and len(children) == 8
            order = [x["id"] for x in lines]
            for child in children:  # each child after its parent
                assert order.index(child["__parentId"]) < order.index(child["id"])
            read = await shop.all_products()
            assert sorted(p.content_hash() for p in read) == sorted(
                p.content_hash() for p in products
            )
            await shop.aclose()

    run(main)


def test_webhooks_are_signed_and_retried() -> None:
    received: list[httpx.Request] = []
    failures = {"left": 2}

    async def main() -> None:
        import anyio
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        from syncwright.connectors.serving import serve_asgi

        async def hook(request: Request) -> Response:
            body = await request.body()
            if failures["left"] > 0:
                failures["left"] -= 1
                return Response(status_code=500)
            received.append(
                httpx.Request("POST", str(request.url), headers=dict(request.headers), content=body)
            )
            return Response(status_code=200)

        async with anyio.create_task_group() as tg:
            url = await tg.start(
                serve_asgi,
                Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
                "127.0.0.1",
                0,
            )
            async with running(webhook_url=f"{url}/hook", webhook_first_delay=0.05) as emu:
                shop = channel(emu)
                await shop.upsert_products(sample_products("WH", 1))
                emu.shop.place_order([{"sku": "WH-0-0", "quantity": 1}], email="w@example.com")
                await async_wait_until(
                    lambda: len(received) >= 3,
                    timeout=20,
                    interval=0.05,
                    message=lambda: f"{len(received)} of 3 webhooks arrived",
                )
                await shop.aclose()
                assert emu.webhooks.failed == []
            tg.cancel_scope.cancel()

    run(main)
    topics = sorted(r.headers["x-shopify-topic"] for r in received)
    assert topics == ["inventory_levels/update", "orders/create", "products/update"]
    for request in received:
        assert request.headers["x-shopify-hmac-sha256"] == sign(SECRET, request.content)
        assert request.headers["x-shopify-webhook-id"]
        assert request.headers["x-shopify-triggered-at"].endswith("Z")
    assert TOKEN


def test_customer_changes_overlap_whole_days() -> None:
    from datetime import UTC, datetime

    from syncwright.connectors.base import ChangeQuery

    async def main() -> None:
        async with running() as emu:
            stamp = lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731
            emu.shop.add_customer("old@example.com", updated_at=stamp("2026-03-01T23:00:00"))
            emu.shop.add_customer("early@example.com", updated_at=stamp("2026-03-02T08:00:00"))
            emu.shop.add_customer("late@example.com", updated_at=stamp("2026-03-02T18:00:00"))
            emu.shop.add_customer("next@example.com", updated_at=stamp("2026-03-03T01:00:00"))
            shop = channel(emu)
            page = await shop.changed_customers(
                ChangeQuery(since="2026-03-02T12:00:00Z", after=None, limit=50)
            )
            # Shopify matched the whole of 2 March (and later); we dropped what is older.
            assert [c.email for c in page.items] == ["late@example.com", "next@example.com"]
            assert page.complete
            await shop.aclose()

    run(main)


def test_a_customer_page_of_only_older_days_is_not_the_end() -> None:
    # Issue 13 item 1: the day filter lets in customers older than ``since``; a page made only
    # of them is read past, not answered empty (which said nothing of where to go on).
    from datetime import UTC, datetime

    from syncwright.connectors.base import ChangeQuery

    async def main() -> None:
        async with running() as emu:
            stamp = lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731
            emu.shop.add_customer("early1@example.com", updated_at=stamp("2026-03-02T07:00:00"))
            emu.shop.add_customer("early2@example.com", updated_at=stamp("2026-03-02T08:00:00"))
            emu.shop.add_customer("late@example.com", updated_at=stamp("2026-03-02T18:00:00"))
            emu.shop.add_customer("next@example.com", updated_at=stamp("2026-03-03T01:00:00"))
            shop = channel(emu)
            since = "2026-03-02T12:00:00Z"
            page = await shop.changed_customers(ChangeQuery(since=since, after=None, limit=1))
            assert [c.email for c in page.items] == ["late@example.com"]
            assert not page.complete and page.resume_key is not None
            rest = await shop.changed_customers(
                ChangeQuery(since=since, after=page.resume_key, limit=1)
            )
            assert [c.email for c in rest.items] == ["next@example.com"]
            await shop.aclose()

    run(main)


def test_order_listing_pages_by_id() -> None:
    from syncwright.connectors.base import ListQuery

    async def main() -> None:
        async with running() as emu:
            shop = channel(emu)
            await shop.upsert_products(sample_products("OL", 1))
            for n in range(5):
                emu.shop.place_order([{"sku": "OL-0-0", "quantity": 1}], email=f"l{n}@example.com")
            seen: list[str] = []
            after = None
            for _ in range(10):
                page = await shop.list_orders(ListQuery(after=after, limit=2))
                seen += [o.external_id for o in page.items]
                if page.complete or page.last_key is None:
                    break
                after = page.last_key[1]
            assert seen == sorted(seen, key=int) and len(seen) == len(set(seen)) == 5
            await shop.aclose()

    run(main)
