"""End to end: the daemon (a process) between the X-Series emulator (a process) and the sandbox
shop: products with variant families, stock per outlet, prices, customers, settings, and
orders posted back as sales exactly once, also across a SIGKILL right after the create."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from harness import Daemon, config_file, log_path, start_listening, stop_process
from helpers import API_KEY, SANDBOX_ENV, Server, api, start_server, state
from lx_support import HOOK_KEY, TOKEN

from syncwright.connectors.base import ListQuery, OpenGate, SystemSpec
from syncwright.connectors.lightspeed_x.connector import LightspeedX
from syncwright.connectors.lightspeed_x.settings import LightspeedXSettings
from syncwright.connectors.sandbox.clients.build import build_shop
from syncwright.connectors.sandbox.clients.settings import SandboxShopSettings

pytestmark = pytest.mark.slow


class XSeries:
    """``python -m syncwright.connectors.lightspeed_x`` on a free port."""

    def __init__(self, tmp: Path, *args: str) -> None:
        command = [sys.executable, "-m", "syncwright.connectors.lightspeed_x", "--token", TOKEN]
        self.proc, self.url = start_listening([*command, *args], tmp / "lsx.log", "x-series")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method,
            f"{self.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGINT, timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def lsx_config(tmp: Path, lsx_url: str, shop_url: str, *, webhook_port: int | None = None) -> Path:
    hooks = (
        f'[webhooks]\nenabled = true\nlisten = "127.0.0.1:{webhook_port}"\nretry_every = 1\n'
        if webhook_port
        else ""
    )
    return config_file(
        tmp,
        f"""
        [systems.pos]
        kind = "lightspeed-x"
        url = "{lsx_url}"
        credentials.token = {{ env = "LSX_TEST_TOKEN" }}
        credentials.webhook_key = {{ env = "LSX_TEST_HOOK_KEY" }}
        # One register: 350 calls per 5 minutes, at most 70 in any minute.
        [systems.pos.budget.windows.minute]
        limit = 70
        [systems.pos.settings]
        sale_register = "Register 1"
        registers = 1
        outlet_map = {{ "Main Outlet" = "central", "Outlet 2" = "north" }}

        [systems.shop]
        kind = "sandbox-shop"
        url = "{shop_url}"
        credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}

        [connections.demo]
        source = "pos"
        channel = "shop"
        flows = ["products", "stock", "prices", "customers", "orders", "settings"]
        page_size = 1000
        workers = 2
        [connections.demo.schedule]
        recent = "1h"
        """,
        head=hooks,
    )


def daemon(config: Path, **env: str) -> Daemon:
    return Daemon(
        config, {**SANDBOX_ENV, "LSX_TEST_TOKEN": TOKEN, "LSX_TEST_HOOK_KEY": HOOK_KEY, **env}
    )


async def _compare(lsx_url: str, shop_url: str) -> tuple[dict[str, str], dict[str, str]]:
    pos = LightspeedX(
        SystemSpec(
            "pos",
            "lightspeed-x",
            lsx_url,
            LightspeedXSettings(sale_register="Register 1"),
            {"token": TOKEN},
        ),
        OpenGate(),
    )
    shop = build_shop(
        SystemSpec("shop", "sandbox-shop", shop_url, SandboxShopSettings(), {"api_key": API_KEY}),
        OpenGate(),
    )
    try:
        products = []
        after: str | None = None
        while True:
            page = await pos.list_products(ListQuery(after=after, limit=1000))
            products += page.items
            if page.complete or page.last_key is None:
                break
            after = page.last_key[1]
        want = {p.external_id: p.content_hash() for p in products}
        held = await shop.read_products(list(want))
        return want, {k: p.content_hash() for k, p in held.items()}
    finally:
        await pos.aclose()
        await shop.aclose()


@pytest.fixture
def systems(tmp_path: Path) -> Any:
    pos = XSeries(tmp_path, "--products", "12", "--variants", "3", "--outlets", "2")
    shop = start_server("shop", tmp_path / "shop.db")
    yield pos, shop
    shop.stop()
    pos.stop()


def place(shop: Server, sku: str, email: str) -> str:
    body = {
        "customer": {"email": email, "first_name": "Ada", "last_name": "Buyer"},
        "lines": [{"sku": sku, "quantity": 2, "unit_price": "11.00", "title": sku}],
    }
    order_id: str = api(shop, "POST", "/admin/orders", body)["id"]
    return order_id


def test_x_series_to_the_shop_and_orders_back_once(systems: Any, tmp_path: Path) -> None:
    pos, shop = systems
    config = lsx_config(tmp_path, pos.url, shop.url)
    daemon(config).run_ok(timeout=240)
    want, held = anyio.run(_compare, pos.url, shop.url)
    assert len(want) == 12 and held == want
    assert api(shop, "GET", "/api/settings")["currency"] == "NZD"  # the retailer's currency
    levels = api(shop, "GET", "/api/inventory", skus="LX-00003-2")["items"]
    assert sorted((x["location"], x["quantity"]) for x in levels) == [
        ("central", 5),
        ("north", 5),
    ]

    # A price edit and a stock change in X-Series reach the shop on the next run.
    row = next(
        r for r in pos.call("GET", "/_emulator/catalogue")["products"] if r["sku"] == "LX-00003-2"
    )
    pos.call("POST", f"/_emulator/products/{row['id']}", {"price_excluding_tax": 42.0})
    pos.call("POST", "/_emulator/stock", {"sku": "LX-00003-2", "outlet": "Outlet 2", "amount": 9})
    before = pos.call("GET", "/_emulator/stats")["total"]
    daemon(config).run_ok(timeout=240)
    want, held = anyio.run(_compare, pos.url, shop.url)
    assert held == want
    levels = api(shop, "GET", "/api/inventory", skus="LX-00003-2")["items"]
    assert ("north", 9) in [(x["location"], x["quantity"]) for x in levels]
    stats = pos.call("GET", "/_emulator/stats")
    assert stats["refused"] == 0
    assert stats["total"] - before < 30, stats

    # Orders: a sale in X-Series per order, its customer created there, posted once even
    # when the daemon is killed right after the create.
    first = place(shop, "LX-00001-0", "ada@example.com")
    killed = daemon(config, SYNCWRIGHT_TEST_CRASH_AFTER="order_created").run(
        "--until-idle", timeout=240
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert len(pos.call("GET", "/_emulator/sales")["sales"]) == 1
    daemon(config).run_ok(timeout=240)
    second = place(shop, "LX-00002-1", "bo@example.com")
    daemon(config).run_ok(timeout=240)
    daemon(config).run_ok(timeout=240)
    sales = pos.call("GET", "/_emulator/sales")["sales"]
    refs = sorted(s["invoice_number"] for s in sales)
    assert refs == sorted([f"shop:{first}", f"shop:{second}"])
    assert all(s["customer_id"] for s in sales)

    # An amendment (2 -> 3) and a shipment in the shop reach the same sale: its lines are
    # rewritten under the same id and the sale is fulfilled.
    line = {"sku": "LX-00002-1", "quantity": 3, "unit_price": "11.00", "title": "x"}
    api(shop, "PATCH", f"/admin/orders/{second}", {"lines": [line]})
    shipment = {"lines": [["LX-00002-1", 3]], "carrier": "DHL", "tracking": "T1"}
    api(shop, "POST", f"/admin/orders/{second}/shipments", shipment)
    daemon(config).run_ok(timeout=240)
    sales = pos.call("GET", "/_emulator/sales")
    by_ref = {s["invoice_number"]: s for s in sales["sales"]}
    assert len(by_ref) == 2
    amended = by_ref[f"shop:{second}"]
    assert [x["quantity"] for x in amended["line_items"]] == [3.0]
    assert amended["status"] == "DISPATCHED_CLOSED"
    assert len(sales["fulfillments"][amended["id"]]) == 1
    assert state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)], (
        log_path(config).read_text()[-3000:] if log_path(config).exists() else ""
    )
