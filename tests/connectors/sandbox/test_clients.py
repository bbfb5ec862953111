"""The connector clients against the running sandboxes, and their strict wire mapping."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import httpx
import pytest

from syncwright.connectors.base import (
    ChangeQuery,
    ChannelConnector,
    ListQuery,
    OpenGate,
    SourceConnector,
    SystemSpec,
)
from syncwright.connectors.errors import AuthError, PayloadError, RateLimitedError
from syncwright.connectors.model import Product, StockLevel, Variant
from syncwright.connectors.sandbox.clients.build import build_erp, build_shop
from syncwright.connectors.sandbox.clients.erp import SandboxErp
from syncwright.connectors.sandbox.clients.settings import SandboxErpSettings, SandboxShopSettings
from syncwright.connectors.sandbox.clients.shop import SandboxShop

if TYPE_CHECKING:
    from tests.connectors.sandbox.conftest import Sandbox, Start

T = TypeVar("T")


def run(func: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(func)


def spec(
    sandbox: Sandbox | str, kind: str, key: str | None = None, **settings: Any
) -> SystemSpec[Any]:
    url = sandbox if isinstance(sandbox, str) else sandbox.url
    if key is None:
        key = "unused" if isinstance(sandbox, str) else sandbox.key
    model = SandboxShopSettings if kind == "shop" else SandboxErpSettings
    return SystemSpec(
        name=f"test-{kind}",
        kind="sandbox",
        url=url,
        settings=model(**settings),
        secrets={"api_key": key},
        timeout=10,
    )


class RecordingGate(OpenGate):
    def __init__(self) -> None:
        self.acquired = 0
        self.reports: list[tuple[int, dict[str, str]]] = []

    async def acquire(self, cost: float = 1.0) -> None:
        self.acquired += 1

    def report(self, status: int, headers: Mapping[str, str], *, cost: float | None = None) -> None:
        self.reports.append((status, dict(headers)))


def test_the_clients_meet_the_contract(erp: Sandbox, shop: Sandbox) -> None:
    source, channel = (
        build_erp(spec(erp, "erp"), OpenGate()),
        build_shop(spec(shop, "shop"), OpenGate()),
    )
    assert isinstance(source, SourceConnector) and isinstance(channel, ChannelConnector)
    assert source.capabilities.cursor == "time" and source.capabilities.max_page_size == 1000
    assert channel.capabilities.product_batch_size == 250
    assert channel.capabilities.stock_batch_size == 250
    assert channel.capabilities.price_list_name == "Sandbox Price"
    run(source.aclose)
    run(channel.aclose)


def test_change_pages_follow_the_compound_key(erp: Sandbox) -> None:
    async def pull() -> list[tuple[str, str]]:
        client = SandboxErp(spec(erp, "erp"), OpenGate())
        keys: list[tuple[str, str]] = []
        after = None
        while True:
            page = await client.changed_products(ChangeQuery(since=None, after=after, limit=8))
            keys += [
                (p.modified_at.strftime("%Y-%m-%dT%H:%M:%SZ"), p.external_id)
                for p in page.items
                if p.modified_at
            ]
            if page.items:
                assert page.last_key == keys[-1]
            after = page.last_key
            if page.complete:
                await client.aclose()
                return keys

    keys = run(pull)
    assert len(keys) == len(set(keys)) == 60
    assert keys == sorted(keys, key=lambda k: (k[0], int(k[1])))


def test_products_and_stock_round_trip_erp_to_shop(erp: Sandbox, shop: Sandbox) -> None:
    async def sync() -> None:
        source = SandboxErp(spec(erp, "erp"), OpenGate())
        channel = SandboxShop(
            spec(shop, "shop", location_map={"north": "north", "central": "central"}), OpenGate()
        )
        page = await source.list_products(ListQuery(after=None, limit=25))
        assert len(page.items) == 25 and not page.complete and page.last_key is not None
        rest = await source.list_products(ListQuery(after=page.last_key[1], limit=1000))
        assert rest.complete and len(page.items) + len(rest.items) == 60
        results = await channel.upsert_products([*page.items, *rest.items][:130])
        assert all(r.ok and r.remote_id and r.remote_id.startswith("sp_") for r in results)
        held = await channel.read_products([p.external_id for p in page.items])
        assert {k: p.content_hash() for k, p in held.items()} == {
            p.external_id: p.content_hash() for p in page.items
        }
        skus = [v.sku for v in page.items[0].variants if v.sku]
        levels = await source.get_stock(skus)
        assert len(levels) == 4 and {lv.sku for lv in levels} == set(skus)
        written = await channel.set_stock(levels)
        assert all(w.ok for w in written)
        back = await channel.read_stock(skus)
        assert sorted((*lv.key, lv.quantity) for lv in back) == sorted(
            (*lv.key, lv.quantity) for lv in levels
        )
        await source.aclose()
        await channel.aclose()

    run(sync)


def test_shop_locations_are_mapped_both_ways(shop: Sandbox) -> None:
    async def write() -> None:
        channel = SandboxShop(spec(shop, "shop", location_map={"WH-1": "north"}), OpenGate())
        product = Product(
            external_id="77",
            title="Mapped",
            handle="mapped",
            variants=(Variant(external_id="770", sku="M-1"),),
        )
        assert (await channel.upsert_products([product]))[0].ok
        results = await channel.set_stock(
            [
                StockLevel(sku="M-1", location="WH-1", quantity=3),
                StockLevel(sku="M-1", location="elsewhere", quantity=1),
            ]
        )
        assert (results[0].external_id, results[0].remote_id) == ("M-1|WH-1", "M-1|north")
        assert results[1].error and "unknown location 'elsewhere'" in results[1].error
        assert [lv.key for lv in await channel.read_stock(["M-1"])] == [("M-1", "WH-1")]
        await channel.aclose()

    run(write)


def test_single_item_lookups(erp: Sandbox) -> None:
    async def look() -> None:
        source = SandboxErp(spec(erp, "erp"), OpenGate())
        by_id = await source.get_product("12")
        assert by_id is not None and by_id.external_id == "12"
        sku = by_id.variants[0].sku
        assert sku is not None
        by_sku = await source.get_product(sku)
        assert by_sku is not None and by_sku.external_id == "12"
        assert await source.get_product("99999") is None
        assert await source.get_product("NO/SUCH SKU") is None
        assert await source.get_stock(["NOPE"]) == []
        await source.aclose()

    run(look)


def test_stock_changes_through_the_client(erp: Sandbox) -> None:
    async def pull() -> int:
        source = SandboxErp(spec(erp, "erp"), OpenGate())
        total, after = 0, None
        while True:
            page = await source.changed_stock(ChangeQuery(since=None, after=after, limit=50))
            total += len(page.items)
            assert all(lv.variant_external_id and lv.modified_at for lv in page.items)
            after = page.last_key
            if page.complete:
                await source.aclose()
                return total

    assert run(pull) == 240


def test_rate_limit_answers_429_with_headers_and_the_client_raises(start_sandbox: Start) -> None:
    erp = start_sandbox("erp", "--products", "5", "--rate-limit", "3")
    with erp.client() as client:
        first = client.get("/api/products")
        assert first.headers["X-RateLimit-Limit"] == "3"
        assert first.headers["X-RateLimit-Remaining"] == "2"
        assert 0 < int(first.headers["X-RateLimit-Reset"]) <= 60
        client.get("/api/products")
        client.get("/api/products")
        refused = client.get("/api/products")
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert "rate limit" in refused.json()["error"]
        assert client.get("/admin/stats").json()["rate_limited"] == 1

    async def call() -> None:
        gate = RecordingGate()
        source = SandboxErp(spec(erp, "erp"), gate)
        with pytest.raises(RateLimitedError) as caught:
            await source.get_product("1")
        await source.aclose()
        assert caught.value.retry_after is not None and caught.value.retry_after > 0
        assert gate.acquired == 1 and gate.reports[0][0] == 429
        assert gate.reports[0][1]["x-ratelimit-limit"] == "3"

    run(call)


def test_a_wrong_key_raises_auth_error(erp: Sandbox) -> None:
    async def call() -> None:
        source = SandboxErp(spec(erp, "erp", key="wrong"), OpenGate())
        with pytest.raises(AuthError):
            await source.list_stock(ListQuery(after=None, limit=10))
        await source.aclose()

    run(call)


GOOD_PRODUCT: dict[str, Any] = {
    "id": 1,
    "title": "T",
    "handle": "t",
    "status": "live",
    "deleted": False,
    "restock_date": None,
    "custom": {},
    "modified_at": "2026-11-22T12:00:05Z",
    "variants": [
        {
            "id": 2,
            "sku": "S",
            "title": "V",
            "weight_grams": 1,
            "position": 1,
            "image_url": None,
            "options": {},
            "price": "1.00",
            "rrp": None,
        }
    ],
}


def _with(path: list[Any], value: Any) -> Any:
    body = json.loads(json.dumps(GOOD_PRODUCT))
    target = body
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return {"items": [body], "next": None}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>oops</html>", "not JSON"),
        (json.dumps([]).encode(), "product changes is not a JSON object"),
        (json.dumps({"items": {}, "next": None}).encode(), "'items' should be a list"),
        (json.dumps(_with(["title"], KeyError)).encode(), "product 1: 'title' should be a string"),
        (json.dumps(_with(["id"], "1")).encode(), "'id' should be an integer, got str"),
        (json.dumps(_with(["status"], "gone")).encode(), "'status' should be 'live' or"),
        (
            json.dumps(_with(["modified_at"], "yesterday")).encode(),
            "'modified_at' should be a time",
        ),
        (json.dumps(_with(["variants", 0, "price"], "cheap")).encode(), "'price' should be a dec"),
        (json.dumps(_with(["variants", 0, "position"], True)).encode(), "variant #0: 'position'"),
        (json.dumps(_with(["variants", 0], 5)).encode(), "variant #0 is not a JSON object"),
        (json.dumps(_with(["custom"], {"a": 1})).encode(), "'custom' should be an object of str"),
        (json.dumps({"items": [], "next": 3}).encode(), "'next' should be an object or null"),
    ],
)
def test_malformed_payloads_raise_payload_error(body: bytes, message: str) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))

    async def call() -> None:
        source = SandboxErp(spec("http://sandbox.test", "erp"), OpenGate(), transport=transport)
        with pytest.raises(PayloadError, match=message.replace("(", r"\(")) as caught:
            await source.changed_products(ChangeQuery(since=None, after=None, limit=10))
        assert caught.value.system == "test-erp"
        await source.aclose()

    run(call)


def test_an_empty_page_with_a_next_is_not_the_end() -> None:
    # A back office that applies its limit before filtering (issue 13 item 1): no items, but
    # its ``next`` says more exists and where. The client follows ``next``, not the items.
    after = {"after_modified": "2026-11-22T12:00:05Z", "after_id": 40}
    bodies = {
        "/api/products/changes": {"items": [], "next": after},
        "/api/stock": {"items": [], "next": {"after_id": 12}},
    }
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=bodies[r.url.path]))

    async def call() -> None:
        source = SandboxErp(spec("http://sandbox.test", "erp"), OpenGate(), transport=transport)
        page = await source.changed_products(ChangeQuery(since=None, after=None, limit=10))
        assert (page.items, page.complete) == ([], False)
        assert page.resume_key == ("2026-11-22T12:00:05Z", "40")
        listing = await source.list_stock(ListQuery(after=None, limit=10))
        assert (listing.complete, listing.resume_key) == (False, ("", "12"))
        await source.aclose()

    run(call)


def test_the_well_formed_payload_maps() -> None:
    good = httpx.MockTransport(lambda r: httpx.Response(200, json=_with(["title"], "ok")))

    async def fine() -> None:
        source = SandboxErp(spec("http://sandbox.test", "erp"), OpenGate(), transport=good)
        page = await source.changed_products(ChangeQuery(since=None, after=None, limit=10))
        assert page.complete and page.last_key == ("2026-11-22T12:00:05Z", "1")
        assert page.items[0].title == "ok" and str(page.items[0].variants[0].price) == "1.00"
        await source.aclose()

    run(fine)


def test_a_short_batch_answer_is_a_payload_error() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"results": []}))

    async def call() -> None:
        channel = SandboxShop(spec("http://shop.test", "shop"), OpenGate(), transport=transport)
        with pytest.raises(PayloadError, match="0 results for 1 items"):
            await channel.set_stock([StockLevel(sku="A", location="x", quantity=1)])
        await channel.aclose()

    run(call)


@pytest.mark.parametrize(
    ("settings", "secrets", "message"),
    [
        ({}, {"api_key": "k"}, "'s': url must be an http"),
        ({"url": "http://x"}, {}, "secrets.api_key"),
        ({"url": "http://x", "timeout": 0}, {"api_key": "k"}, "'s': timeout must be a positive"),
        ({"url": "http://x", "location_map": {"a": 1}}, {"api_key": "k"}, "location_map"),
    ],
)
def test_bad_client_settings_are_refused_clearly(
    settings: dict[str, Any], secrets: dict[str, str], message: str
) -> None:
    # url and timeout are the spec's own fields, checked when it is made; the kind's settings
    # are checked by their model: either way, before a connector exists.
    common = {key: settings.pop(key) for key in ("url", "timeout") if key in settings}
    with pytest.raises(ValueError, match=message):
        build_shop(
            SystemSpec(
                name="s",
                kind="sandbox",
                url=common.get("url", ""),
                settings=SandboxShopSettings(**settings),
                secrets=secrets,
                timeout=common.get("timeout", 30.0),
            ),
            OpenGate(),
        )
