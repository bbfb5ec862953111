"""Product writes through bulk mutations: staged upload, line-by-line run, fallback, recovery."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest
from harness import async_wait_until
from pydantic import ValidationError
from shopify_support import channel, post, run, running

from syncwright.connectors.errors import TransientError
from syncwright.connectors.shopify import queries
from syncwright.connectors.shopify.settings import ShopifySettings
from syncwright.connectors.testing import sample_products

STAGE = queries.STAGED_UPLOAD
INPUT = {
    "input": [
        {
            "resource": "BULK_MUTATION_VARIABLES",
            "filename": "x.jsonl",
            "mimeType": "text/jsonl",
            "httpMethod": "POST",
        }
    ]
}


def test_large_write_goes_bulk_and_each_line_is_the_items_outcome() -> None:
    async def main() -> None:
        async with running() as emu:
            shop = channel(emu, bulk_write_min=3)
            products = sample_products("BW", 5)
            products[2] = products[2].model_copy(update={"title": ""})  # refused by productSet
            results = await shop.upsert_products(products)
            assert [r.ok for r in results] == [True, True, False, True, True]
            assert "Title can't be blank" in (results[2].error or "")
            ops = emu.stats.by_operation
            assert "productSet" not in ops  # every line ran inside the bulk operation
            assert ops["bulkOperationRunMutation"] == 1 and ops["stagedUploadsCreate"] == 1
            assert emu.imports.lines_run == 5
            read = await shop.read_products([p.external_id for p in products])
            assert len(read) == 4
            for p in products[:2] + products[3:]:
                assert read[p.external_id].content_hash() == p.content_hash()
            # A small write stays per call.
            await shop.upsert_products(products[:1])
            assert emu.stats.by_operation["productSet"] == 1
            await shop.aclose()

    run(main)


def test_failed_operation_falls_back_per_call_for_the_rest_only() -> None:
    async def main() -> None:
        async with running() as emu:
            emu.imports.fail_after = 2
            shop = channel(emu, bulk_write_min=3)
            products = sample_products("BF", 5)
            results = await shop.upsert_products(products)
            assert all(r.ok for r in results)
            assert emu.imports.lines_run == 2
            assert emu.stats.by_operation["productSet"] == 3  # nothing written twice
            op = emu.bulk.operations[1]
            assert op["status"] == "FAILED" and op["partial"]
            await shop.aclose()

    run(main)


def test_cancelled_operation_falls_back_per_call() -> None:
    async def main() -> None:
        async with running() as emu:
            emu.imports.hold_seconds = 30
            shop = channel(emu, bulk_write_min=3)
            products = sample_products("BC", 3)
            outcome: list[object] = []

            async def write() -> None:
                outcome.append(await shop.upsert_products(products))

            async with anyio.create_task_group() as tg:
                tg.start_soon(write)
                await async_wait_until(lambda: 1 in emu.bulk.operations, timeout=30)
                body = (
                    await post(
                        emu,
                        "mutation($id: ID!) { bulkOperationCancel(id: $id) "
                        "{ bulkOperation { status } userErrors { message } } }",
                        {"id": "gid://shopify/BulkOperation/1"},
                    )
                ).json()
                assert body["data"]["bulkOperationCancel"]["bulkOperation"]["status"] == "CANCELING"
                emu.imports.hold_seconds = 0
            assert emu.bulk.operations[1]["status"] == "CANCELED"
            assert emu.stats.by_operation["productSet"] == 3
            assert all(r.ok for r in outcome[0])  # type: ignore[attr-defined]
            await shop.aclose()

    run(main)


def test_restarted_connector_collects_the_running_operation() -> None:
    async def main() -> None:
        async with running() as emu:
            emu.imports.hold_seconds = 60
            products = sample_products("BR", 4)
            first = channel(emu, bulk_write_min=3)
            async with anyio.create_task_group() as tg:
                tg.start_soon(first.upsert_products, products)
                await async_wait_until(lambda: 1 in emu.bulk.operations, timeout=30)
                tg.cancel_scope.cancel()  # the daemon is killed while the operation runs
            assert emu.bulk.operations[1]["status"] in ("CREATED", "RUNNING")
            await first.aclose()
            emu.imports.hold_seconds = 0
            second = channel(emu, bulk_write_min=3)
            results = await second.upsert_products(products)
            assert all(r.ok for r in results) and all(r.remote_id for r in results)
            ops = emu.stats.by_operation
            assert ops["bulkOperationRunMutation"] == 1  # not started again
            assert "productSet" not in ops and emu.imports.lines_run == 4
            # A third connector finds the same operation; one product changed at the source
            # since: only that one is written again, after a read-back shows the difference.
            third = channel(emu, bulk_write_min=3)
            products[0] = products[0].model_copy(update={"title": "Changed"})
            results = await third.upsert_products(products)
            assert all(r.ok for r in results)
            assert emu.imports.lines_run == 5 and ops["bulkOperationRunMutation"] == 2
            read = await third.read_products([products[0].external_id])
            assert read[products[0].external_id].title == "Changed"
            await third.aclose()
            await second.aclose()

    run(main)


def test_emulator_staged_upload_limits_and_line_validation() -> None:
    async def main() -> None:
        async with running() as emu:
            target = (await post(emu, STAGE, INPUT)).json()["data"]["stagedUploadsCreate"]
            target = target["stagedTargets"][0]
            fields = {p["name"]: p["value"] for p in target["parameters"]}
            assert {"key", "policy", "x-goog-signature", "success_action_status"} <= set(fields)
            lines = [
                {"input": {"title": "One"}},
                {"input": {"title": 7, "nonsense": True}},  # invalid against the schema
            ]
            body = "".join(json.dumps(v) + "\n" for v in lines)
            async with httpx.AsyncClient() as client:
                bad = await client.post(
                    target["url"],
                    data={**fields, "x-goog-signature": "forged"},
                    files={"file": ("x.jsonl", body)},
                )
                assert bad.status_code == 403
                ok = await client.post(
                    target["url"], data=fields, files={"file": ("x.jsonl", body)}
                )
                assert ok.status_code == 201
            mutation = "mutation($input: ProductSetInput!) { productSet(input: $input) { product { id } userErrors { message } } }"  # noqa: E501
            variables = {"mutation": mutation, "path": fields["key"], "client": "t"}
            emu.imports.hold_seconds = 60  # the first operation runs while the second asks
            run_one = (
                await post(emu, queries.BULK_RUN_MUTATION, variables, version="2025-10")
            ).json()
            assert run_one["data"]["bulkOperationRunMutation"]["userErrors"] == []
            busy = (await post(emu, queries.BULK_RUN_MUTATION, variables, version="2025-10")).json()
            codes = [e["code"] for e in busy["data"]["bulkOperationRunMutation"]["userErrors"]]
            assert codes == ["OPERATION_IN_PROGRESS"]  # one at a time before 2026-01
            emu.imports.hold_seconds = 0
            await async_wait_until(
                lambda: emu.bulk.operations[1]["status"] == "COMPLETED", timeout=30
            )
            missing = {**variables, "path": "tmp/none"}
            gone = (await post(emu, queries.BULK_RUN_MUTATION, missing)).json()
            assert (
                gone["data"]["bulkOperationRunMutation"]["userErrors"][0]["code"] == "NO_SUCH_FILE"
            )
            poll = (
                await post(emu, queries.BULK_WRITE_POLL, {"id": "gid://shopify/BulkOperation/1"})
            ).json()
            async with httpx.AsyncClient() as client:
                text = (await client.get(poll["data"]["node"]["url"])).text
            rows = [json.loads(x) for x in text.splitlines()]
            assert [r["__lineNumber"] for r in rows] == [0, 1]
            assert rows[0]["data"]["productSet"]["product"]["id"].startswith(
                "gid://shopify/Product/"
            )
            assert rows[1].get("errors") and "data" in rows[1]

    run(main)


def test_bulk_settings_shape_the_batches_the_daemon_hands_over() -> None:
    async def main() -> None:
        async with running() as emu:
            on = channel(emu)
            assert on.capabilities.product_batch_size == 1000 and on.bulk_write_min == 200
            off = channel(emu, bulk_writes=False)
            assert off.capabilities.product_batch_size == 25 and off.bulk_write_min is None
            assert type(on).capabilities.product_batch_size == 25  # the class is untouched
            await on.aclose()
            await off.aclose()
        with pytest.raises(ValidationError):
            ShopifySettings(bulk_write_min=0)

    run(main)


def test_a_write_whose_polling_failed_collects_that_operation_on_its_next_try() -> None:
    async def main() -> None:
        async with running() as emu:
            emu.faults.fail_fields = frozenset({"node"})  # every poll answered 502
            shop = channel(emu, bulk_write_min=3)
            products = sample_products("BP", 3)
            with pytest.raises(TransientError):
                await shop.upsert_products(products)
            emu.faults.fail_fields = frozenset()
            results = await shop.upsert_products(products)  # the job's next try
            assert all(r.ok for r in results)
            ops = emu.stats.by_operation
            assert ops["bulkOperationRunMutation"] == 1 and "productSet" not in ops
            assert emu.imports.lines_run == 3
            await shop.aclose()

    run(main)
