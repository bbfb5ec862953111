"""The SparkLayer emulator's wire behaviour: tokens, Site-Id, RFC 7807 errors, paging, the
documented write semantics, rate-limit headers and fault switches."""

from __future__ import annotations

from typing import Any

import httpx
from sparklayer_support import CLIENT_ID, CLIENT_SECRET, SITE, run, running

from syncwright.connectors.sparklayer.emulator.app import Emulator


async def token(client: httpx.AsyncClient, emu: Emulator) -> dict[str, str]:
    answer = await client.post(
        f"{emu.url}/api/auth/token",
        headers={"Site-Id": SITE},
        json={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["expires_in"] == 3600 and "refresh_token" not in body
    return {"Authorization": f"Bearer {body['access_token']}", "Site-Id": SITE}


def test_tokens_site_id_and_problem_bodies() -> None:
    async def main() -> None:
        async with running() as emu, httpx.AsyncClient() as client:
            # Form-encoded credentials are not what SparkLayer takes; wrong ones are a 401.
            form = await client.post(
                f"{emu.url}/api/auth/token",
                headers={"Site-Id": SITE},
                data={"grant_type": "client_credentials", "client_id": CLIENT_ID},
            )
            assert form.status_code == 400
            wrong = await client.post(
                f"{emu.url}/api/auth/token",
                headers={"Site-Id": SITE},
                json={
                    "grant_type": "client_credentials",
                    "client_id": CLIENT_ID,
                    "client_secret": "x",
                },
            )
            assert wrong.status_code == 401
            assert wrong.headers["content-type"] == "application/problem+json"
            assert set(wrong.json()) >= {"title", "status", "detail"}
            headers = await token(client, emu)
            ok = await client.get(f"{emu.url}/api/v1/products", headers=headers)
            assert ok.status_code == 200 and ok.json() == []
            assert ok.headers["x-ratelimit-limit"] == str(emu.window.limit)
            no_site = await client.get(
                f"{emu.url}/api/v1/products", headers={"Authorization": headers["Authorization"]}
            )
            assert no_site.status_code == 401
            emu.tokens.clear()  # expired
            assert (
                await client.get(f"{emu.url}/api/v1/products", headers=headers)
            ).status_code == 401

    run(main)


def test_price_lists_page_by_250_and_pricing_refuses_bad_lines() -> None:
    async def main() -> None:
        async with running() as emu, httpx.AsyncClient() as client:
            h = await token(client, emu)
            for n in range(260):
                made = await client.post(
                    f"{emu.url}/api/v1/price-lists",
                    headers=h,
                    json={"slug": f"list-{n:03}", "name": f"List {n}", "currency_code": "GBP"},
                )
                assert made.status_code == 201
            dup = await client.post(
                f"{emu.url}/api/v1/price-lists",
                headers=h,
                json={"slug": "list-000", "name": "Again", "currency_code": "GBP"},
            )
            assert dup.status_code == 400 and dup.json()["errors"][0]["property"] == "slug"
            too_big = await client.get(f"{emu.url}/api/v2/price-lists?page_size=251", headers=h)
            assert too_big.status_code == 400
            seen: list[str] = []
            page = 1
            while True:
                body = (
                    await client.get(
                        f"{emu.url}/api/v2/price-lists?page={page}&page_size=250", headers=h
                    )
                ).json()
                seen += [p["slug"] for p in body["data"]]
                if body["pagination"]["current_page"] == body["pagination"]["total_pages"]:
                    break
                page += 1
            assert len(seen) == len(set(seen)) == 260 and page == 2
            immutable = await client.patch(
                f"{emu.url}/api/v1/price-lists/list-001", headers=h, json={"source": "other"}
            )
            assert immutable.status_code == 400
            bad = await client.patch(
                f"{emu.url}/api/v1/price-lists/list-001/pricing",
                headers=h,
                json=[
                    {"sku": "A", "pricing": [{"quantity": 1, "price": 5}]},
                    {"sku": "B", "pricing": [{"quantity": 0, "price": 5}]},
                ],
            )
            assert bad.status_code == 400
            assert bad.json() == [
                {"line": 1, "field": "pricing.quantity", "message": bad.json()[0]["message"]}
            ]
            assert emu.catalog.prices["list-001"] == {}, "a refused batch writes nothing"
            missing = await client.patch(
                f"{emu.url}/api/v1/price-lists/nope/pricing", headers=h, json=[]
            )
            assert missing.status_code == 404

    run(main)


def test_customers_are_replaced_whole_and_currency_is_write_once() -> None:
    async def main() -> None:
        async with running() as emu, httpx.AsyncClient() as client:
            h = await token(client, emu)
            url = f"{emu.url}/api/v2/customers/platform/c1"
            full: dict[str, Any] = {
                "external_id": "c1",
                "email": "a@example.com",
                "group": "trade",
                "price_lists": ["trade"],
                "payment_on_account": True,
                "addresses": [{"address_line_1": "1 Road", "city": "Leeds"}],
            }
            assert (await client.put(url, headers=h, json=full)).status_code == 201
            again = await client.put(
                url, headers=h, json={"external_id": "c1", "email": "a@example.com"}
            )
            assert again.status_code == 200
            held = again.json()
            assert held["price_lists"] == [] and held["payment_on_account"] is False
            assert held["addresses"] == [] and held["group"] is None
            mismatch = await client.put(
                url, headers=h, json={"external_id": "c2", "email": "b@x.io"}
            )
            assert (
                mismatch.status_code == 400 and mismatch.json()["errors"][0]["code"] == "idMismatch"
            )
            clash = await client.put(
                f"{emu.url}/api/v2/customers/platform/c2",
                headers=h,
                json={"external_id": "c2", "email": "A@example.com"},
            )
            assert clash.status_code == 409
            by_mail = await client.get(f"{emu.url}/api/v2/customers/email/A@EXAMPLE.com", headers=h)
            assert by_mail.status_code == 200 and by_mail.json()["external_id"] == "c1"
            currency = f"{emu.url}/api/v1/store-currency"
            assert (await client.get(currency, headers=h)).status_code == 404
            assert (
                await client.put(currency, headers=h, json={"currency_code": "GBP"})
            ).status_code == 200
            assert (
                await client.put(currency, headers=h, json={"currency_code": "GBP"})
            ).status_code == 200
            assert (
                await client.put(currency, headers=h, json={"currency_code": "EUR"})
            ).status_code == 409

    run(main)


def test_rate_limit_answers_429_with_retry_after() -> None:
    async def main() -> None:
        async with running(rate_limit=3) as emu, httpx.AsyncClient() as client:
            h = await token(client, emu)  # one of the three
            statuses = [
                (await client.get(f"{emu.url}/api/v1/products", headers=h)) for _ in range(3)
            ]
            assert [r.status_code for r in statuses] == [200, 200, 429]
            assert statuses[1].headers["x-ratelimit-remaining"] == "0"
            assert int(statuses[2].headers["retry-after"]) >= 1
            assert statuses[2].json()["status"] == 429
            emu.window.limit = 1000
            emu.faults.update({"quota": 1})
            assert (await client.get(f"{emu.url}/api/v1/products", headers=h)).status_code == 200
            spent = await client.get(f"{emu.url}/api/v1/products", headers=h)
            assert spent.status_code == 429 and spent.headers["retry-after"] == "3600"

    run(main)
