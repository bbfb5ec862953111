"""The SparkLayer connector against its emulator: tokens, error classes, no duplicate creates,
purchases, the sync-log API, and the calls a full and an incremental write cost."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sparklayer_support import CLIENT_ID, CLIENT_SECRET, SITE, channel, run, running

from syncwright.connectors.base import OpenGate
from syncwright.connectors.errors import PermanentError, RateLimitedError, TransientError
from syncwright.connectors.model import Customer, Order, OrderLine, StockLevel, StoreSettings
from syncwright.connectors.sparklayer.synclog import LogError
from syncwright.connectors.sparklayer.transport import SparkHttp
from syncwright.connectors.testing import sample_products


def test_one_token_renewed_once_on_401() -> None:
    async def main() -> None:
        async with running() as emu:
            portal = channel(emu)
            await portal.read_stock(["X"])
            await portal.read_stock(["Y"])
            assert emu.stats.tokens == 1
            emu.tokens.clear()  # revoked: the next call answers 401, a new token, once more
            await portal.read_stock(["Z"])
            assert emu.stats.tokens == 2
            await portal.aclose()

    run(main)


def test_errors_map_to_the_contract_classes() -> None:
    async def main() -> None:
        async with running() as emu:
            portal = channel(emu)
            await portal.ensure_price_list("Sandbox Price")
            emu.faults.update({"conflict_next": 1})
            with pytest.raises(TransientError):  # a concurrent update: retried later
                await portal.set_settings(StoreSettings(currency="GBP"))
            await portal.set_settings(StoreSettings(currency="GBP"))
            await portal.set_settings(StoreSettings(currency="GBP"))  # same value: fine
            with pytest.raises(PermanentError, match="cannot change to EUR"):
                await portal.set_settings(StoreSettings(currency="EUR"))
            emu.faults.update({"throttle_next": 1, "retry_after": 7})
            with pytest.raises(RateLimitedError) as info:
                await portal.read_stock(["X"])
            assert info.value.retry_after == 7
            emu.faults.update({"error_next": 1})
            with pytest.raises(TransientError):
                await portal.read_stock(["X"])
            await portal.aclose()

    run(main)


def test_a_create_whose_answer_is_lost_is_not_made_twice() -> None:
    async def main() -> None:
        async with running() as emu:
            products = sample_products("LOST", 2)
            portal = channel(emu)
            emu.faults.update({"lose_answer_next": 1})
            with pytest.raises(TransientError):
                await portal.upsert_products(products)
            await portal.aclose()
            again = channel(emu)  # a new process: nothing cached
            results = await again.upsert_products(products)
            assert all(r.ok for r in results)
            assert sorted(p["external_id"] for p in emu.catalog.products.values()) == [
                "LOST-0",
                "LOST-1",
            ]
            await again.aclose()

    run(main)


def test_stock_refusals_are_per_item() -> None:
    async def main() -> None:
        async with running(locations=("main", "north")) as emu:
            portal = channel(emu, location_map={"WH": "main", "N": "north"})
            await portal.upsert_products(sample_products("ST", 1))
            levels = [
                StockLevel(sku="ST-0-0", location="WH", quantity=4),
                StockLevel(sku="ST-0-0", location="Nowhere", quantity=1),
                StockLevel(sku="ST-0-1", location="N", quantity=6),
            ]
            results = await portal.set_stock(levels)
            assert [r.ok for r in results] == [True, False, True]
            assert "unknown stock location" in (results[1].error or "")
            read = {
                (lv.sku, lv.location): lv.quantity
                for lv in await portal.read_stock(["ST-0-0", "ST-0-1"])
            }
            assert read == {("ST-0-0", "WH"): 4, ("ST-0-1", "N"): 6}
            await portal.aclose()

    run(main)


def test_customer_is_sent_whole_and_found_by_email() -> None:
    async def main() -> None:
        async with running() as emu:
            portal = channel(emu)
            parent = Customer(external_id="P1", email="boss@example.com", company="Acme")
            child = Customer(
                external_id="C1",
                email="Buyer@Example.com",
                first_name="Bo",
                group="trade",
                accounting_id="ACC-9",
                price_lists=("trade",),
                discount_percent=Decimal("5"),
                pays_on_account=True,
                parent_external_id="P1",
            )
            assert await portal.create_customer(parent) == "P1"
            assert await portal.create_customer(child) == "C1"
            found = await portal.find_customers(email="buyer@example.com", account_id=None)
            assert [c.external_id for c in found] == ["C1"]
            assert found[0].model_copy(update={"email": child.email}) == child
            await portal.aclose()

    run(main)


def test_purchases_are_upserted_and_listed_past_a_page() -> None:
    async def main() -> None:
        async with running() as emu:
            portal = channel(emu)
            buyer = Customer(external_id="B", email="b@example.com")
            orders = [
                Order(
                    external_id=f"SO{n}",
                    customer=buyer,
                    lines=(OrderLine(sku="A", quantity=1, unit_price=Decimal("2.50")),),
                    currency="GBP",
                    total=Decimal("2.50"),
                )
                for n in range(501)
            ]
            for order in orders:
                await portal.put_purchase(order, customer_id="B")
            await portal.put_purchase(orders[0], customer_id="B")  # again: replaced, not added
            listed = await portal.list_purchases()
            assert len(listed) == 501
            assert (await portal.get_purchase("SO0") or {})["lines"][0]["unit_price"] == 2.5
            await portal.aclose()

    run(main)


def test_sync_log_full_then_partial_then_forget() -> None:
    async def main() -> None:
        async with running() as emu:
            portal = channel(emu)
            log = portal.sync_log
            assert await log.status("products") is None
            started = datetime(2026, 1, 1, tzinfo=UTC)
            errors = [LogError(f"P{n}", "variant has no SKU") for n in range(5001)]
            await log.full("products", started=started, finished=None, errors=errors)
            status = await log.status("products")
            assert status is not None and status["last_full_sync"] is None
            assert status["error_count"] == 5001
            done = datetime(2026, 1, 1, 1, tzinfo=UTC)
            await log.full("products", started=started, finished=done, errors=errors[:2])
            await log.partial(
                "products", when=done, errors=[LogError("P9", "no title")], resolved=["P0"]
            )
            held = {e["external_id"] for e in await log.errors("products")}
            assert held == {"P1", "P9"}
            status = await log.status("products")
            assert status is not None and status["last_partial_sync"] == done.isoformat()
            await log.forget()
            assert await log.status("products") is None
            await portal.aclose()

    run(main)


def test_full_and_incremental_writes_make_the_minimum_calls() -> None:
    """N products: one look-up per 250, one write each, one price write per 1,000 SKUs; a
    later change of one product in the same process needs no look-up, and prices that did not
    change are not sent again."""

    async def main() -> None:
        async with running() as emu:
            portal = channel(emu)
            await portal.ensure_price_list("Sandbox Price")
            products = sample_products("CC", 300)  # 600 SKUs
            emu.stats.by_route.clear()
            results = await portal.upsert_products(products)
            assert all(r.ok for r in results)
            assert emu.stats.by_route == {
                "GET /api/v1/products": 2,
                "POST /api/v1/products": 300,
                "PATCH /api/v1/price-lists/{slug}/pricing": 1,
            }
            emu.stats.by_route.clear()
            renamed = products[0].model_copy(update={"title": "Renamed"})
            await portal.upsert_products([renamed])  # its prices are as written: not sent
            assert emu.stats.by_route == {"PATCH /api/v1/products/{id}": 1}
            emu.stats.by_route.clear()
            levels = [StockLevel(sku=f"CC-{n}-0", location="WH", quantity=n) for n in range(300)]
            assert all(r.ok for r in await portal.set_stock(levels))
            assert emu.stats.by_route == {"POST /api/v1/batch-update-stock": 2}
            await portal.aclose()

    run(main)


def test_unreadable_answers_are_transient() -> None:
    async def main() -> None:
        async with running() as emu:
            portal = channel(emu)
            await portal.upsert_products(sample_products("UR", 1))
            for switch in ("malformed_rate", "truncated_rate"):
                emu.faults.update({switch: 1.0})
                with pytest.raises(TransientError, match="unreadable"):
                    await portal.read_products(["UR-0"])
                emu.faults.update({switch: 0.0})
            assert set(await portal.read_products(["UR-0"])) == {"UR-0"}
            await portal.aclose()

    run(main)


class _Window:
    """A call gate that lets ``left`` calls through, then refuses like a spent budget."""

    def __init__(self, left: int) -> None:
        self.left = left

    async def acquire(self, cost: float = 1.0) -> None:
        if self.left <= 0:
            raise RateLimitedError("window spent", retry_after=60, local=True)
        self.left -= 1

    def report(self, status: int, headers: Any, *, cost: float | None = None) -> None:
        return None


def test_a_page_retried_after_its_budget_ran_out_writes_only_the_rest() -> None:
    """A page needing more calls than one budget window still gets through: the retry after
    the window does not write again what the first attempt wrote."""

    async def main() -> None:
        async with running() as emu:
            gate = _Window(12)
            portal = channel(emu, gate=gate)
            await portal.ensure_price_list("Sandbox Price")  # token + 2 calls
            products = sample_products("WIN", 20)
            with pytest.raises(RateLimitedError):
                await portal.upsert_products(products)  # look-up + 8 creates, then refused
            assert len(emu.catalog.products) == 8
            gate.left = 14
            emu.stats.by_route.clear()
            results = await portal.upsert_products(products)
            assert all(r.ok for r in results)
            assert emu.stats.by_route == {
                "GET /api/v1/products": 1,  # the 12 never looked up
                "POST /api/v1/products": 12,
                "PATCH /api/v1/price-lists/{slug}/pricing": 1,
            }
            # Verification reads them back, and forgets what it sent: a repair is written.
            gate.left = 10
            await portal.read_products(["WIN-0"])
            emu.stats.by_route.clear()
            await portal.upsert_products(products[:1])
            assert emu.stats.by_route == {
                "PATCH /api/v1/products/{id}": 1,
                "PATCH /api/v1/price-lists/{slug}/pricing": 1,
            }
            await portal.aclose()

    run(main)


def test_the_token_is_renewed_a_minute_before_it_expires() -> None:
    async def main() -> None:
        async with running() as emu:
            now = [1000.0]
            http = SparkHttp(
                emu.url,
                site_id=SITE,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                system="portal",
                gate=OpenGate(),
                clock=lambda: now[0],
            )
            await http.call("GET", "/api/v1/products")
            now[0] += 3600 - 61  # still valid for 61 s: kept
            await http.call("GET", "/api/v1/products")
            assert http.tokens_fetched == 1
            now[0] += 2  # 59 s left: a new one first, no 401 on the way
            await http.call("GET", "/api/v1/products")
            assert http.tokens_fetched == 2 and emu.stats.tokens == 2
            await http.aclose()

    run(main)
