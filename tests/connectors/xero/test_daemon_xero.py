"""End to end: the daemon (a process) between the Xero emulator (a process) and the sandbox
shop: items become products with prices and stock, shop orders become invoices exactly once,
also across a SIGKILL right after the create, with the customer made at sale time."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Daemon, config_file, free_port, start_listening, stop_process, wait_until
from helpers import API_KEY, SANDBOX_ENV, start_server, state

from syncwright.connectors.xero.auth import write_refresh_token

pytestmark = pytest.mark.slow
TENANT = "3b1b3e55-0000-4000-8000-000000000001"
HEADERS = {"Authorization": f"Bearer {API_KEY}"}
ENV = {**SANDBOX_ENV, "XERO_ID": "client", "XERO_SECRET": "secret", "XERO_HOOK": "hook"}


class XeroProcess:
    def __init__(self, tmp: Path, *args: str) -> None:
        command = [
            sys.executable,
            "-m",
            "syncwright.connectors.xero",
            "--listen",
            "127.0.0.1:0",
            "--tenant",
            TENANT,
            "--refresh-token",
            "r0",
            *args,
        ]
        self.proc, self.url = start_listening(command, tmp / "xero.log", "xero emulator")

    def get(self, path: str) -> Any:
        answer = httpx.get(f"{self.url}/_emulator/{path}", timeout=10)
        answer.raise_for_status()
        return answer.json()

    def post(self, path: str, body: Any) -> Any:
        answer = httpx.post(f"{self.url}/_emulator/{path}", json=body, timeout=10)
        answer.raise_for_status()
        return answer.json()


@pytest.fixture
def systems(tmp_path: Path) -> Iterator[tuple[XeroProcess, Any]]:
    xero = XeroProcess(tmp_path, "--items", "30")
    shop = start_server("shop", tmp_path / "shop.db", "--locations", "Main")
    yield xero, shop
    shop.stop()
    stop_process(xero.proc)
    if xero.proc.stdout is not None:
        xero.proc.stdout.close()


def xero_config(
    tmp: Path, xero: XeroProcess, shop_url: str, flows: str, *, extra: str = ""
) -> Path:
    token_file = tmp / "xero-token.json"
    if not token_file.exists():
        write_refresh_token(token_file, "r0")
    return config_file(
        tmp,
        textwrap.dedent(f"""
        [systems.books]
        kind = "xero"
        url = "{xero.url}/api.xro/2.0"
        credentials.client_id = {{ env = "XERO_ID" }}
        credentials.client_secret = {{ env = "XERO_SECRET" }}
        credentials.webhook_key = {{ env = "XERO_HOOK" }}
        [systems.books.budget.windows.minute]
        limit = 60
        [systems.books.budget.windows.day]
        limit = 5000
        [systems.books.settings]
        tenant_id = "{TENANT}"
        token_url = "{xero.url}/connect/token"
        token_file = "{token_file}"

        [systems.shop]
        kind = "sandbox-shop"
        url = "{shop_url}"
        credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}

        [connections.demo]
        source = "books"
        channel = "shop"
        flows = {flows}
        overlap = "2m"
        workers = 4
        """)
        + textwrap.dedent(extra),
    )


def shop(url: str, method: str, path: str, body: Any = None, **params: Any) -> Any:
    answer = httpx.request(
        method, f"{url}{path}", json=body, params=params, headers=HEADERS, timeout=10
    )
    answer.raise_for_status()
    return answer.json()


def test_items_reach_the_shop_and_orders_come_back_as_invoices_once(
    systems: tuple[XeroProcess, Any], tmp_path: Path
) -> None:
    xero, box_shop = systems
    xero.post(
        "contacts",
        [
            {"Name": "Kiri Ltd", "FirstName": "Kiri", "LastName": "T",
             "EmailAddress": "kiri@example.test", "AccountNumber": "K-1"},
            {"Name": "Old Co", "EmailAddress": "old@example.test", "ContactStatus": "ARCHIVED"},
        ],
    )  # fmt: skip
    flows = '["products", "stock", "prices", "customers", "settings"]'
    config = xero_config(tmp_path, xero, box_shop.url, flows)
    daemon = Daemon(config, ENV)
    daemon.run_ok(timeout=180)
    # Customers and the store currency came across; the archived contact did not.
    kiri = shop(box_shop.url, "GET", "/api/customers/search", email="kiri@example.test")
    assert [c["email"] for c in kiri["items"]] == ["kiri@example.test"], kiri
    old = shop(box_shop.url, "GET", "/api/customers/search", email="old@example.test")
    assert old["items"] == []
    assert shop(box_shop.url, "GET", "/api/settings")["currency"] == "NZD"
    items = {i["Code"]: i for i in xero.get("records/items")}
    held = shop(box_shop.url, "GET", "/api/products", limit=1000)["items"]
    assert len(held) == 30
    by_sku = {p["variants"][0]["sku"]: p for p in held}
    assert set(by_sku) == set(items)
    sample = items["XSKU-00007"]
    assert by_sku["XSKU-00007"]["title"] == sample["Name"]
    stock = shop(box_shop.url, "GET", "/api/inventory", skus="XSKU-00007,XSKU-00008")["items"]
    assert {(s["sku"], s["location"], s["quantity"]) for s in stock} == {
        ("XSKU-00007", "Main", 7),
        ("XSKU-00008", "Main", 8),
    }
    calls = xero.get("stats")
    # /Items: one pass of products, one of stock. /Contacts: the change pass, and the check
    # that no other contact shares the pushed customer's e-mail. One read of settings.
    assert calls["by_route"] == {"GET /Items": 2, "GET /Contacts": 2, "GET /Organisation": 1}, (
        calls["by_route"]
    )
    assert calls["refused"] == 0

    # Orders: a shopper buys a Xero item and one Xero lacks; posted as one invoice.
    config = xero_config(tmp_path, xero, box_shop.url, '["orders"]')
    body = {
        "customer": {"email": "ada@example.test", "first_name": "Ada", "last_name": "B"},
        "lines": [
            {"sku": "XSKU-00003", "quantity": 2, "unit_price": "12.50", "title": "A"},
            {"sku": "NEW-SKU-1", "quantity": 1, "unit_price": "3.00", "title": "New"},
        ],
    }
    order_id = shop(box_shop.url, "POST", "/admin/orders", body)["id"]
    crashed = daemon.run(
        "--until-idle", timeout=120, env={"SYNCWRIGHT_TEST_CRASH_AFTER": "order_created"}
    )
    assert crashed.returncode == -9, crashed.stderr[-3000:]
    assert len(xero.get("records/invoices")) == 1
    Daemon(config, ENV).run_ok(timeout=180)
    (invoice,) = xero.get("records/invoices")
    assert invoice["Reference"].endswith(order_id)
    assert [(x["ItemCode"], x["Quantity"]) for x in invoice["LineItems"]] == [
        ("XSKU-00003", 2),
        ("NEW-SKU-1", 1),
    ]
    made = [c for c in xero.get("records/contacts") if c.get("EmailAddress") == "ada@example.test"]
    assert len(made) == 1 and made[0]["Name"] == "Ada B <ada@example.test>"
    assert invoice["Contact"]["ContactID"] == made[0]["ContactID"]
    assert "NEW-SKU-1" in {i["Code"] for i in xero.get("records/items")}
    assert state(config, "SELECT state FROM jobs WHERE kind = 'post_order'") == [("done",)]
    assert state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)]
    assert xero.get("stats")["refused"] == 0


def test_a_contact_changed_in_xero_arrives_by_webhook_and_is_read_once(
    systems: tuple[XeroProcess, Any], tmp_path: Path
) -> None:
    xero, box_shop = systems
    port = free_port()
    (contact,) = xero.post("contacts", [{"Name": "Hemi", "EmailAddress": "hemi@example.test"}])[
        "Contacts"
    ]
    config = xero_config(
        tmp_path, xero, box_shop.url, '["customers"]',
        extra=f'\n[webhooks]\nenabled = true\nlisten = "127.0.0.1:{port}"\nretry_every = 1\n',
    )  # fmt: skip
    with Daemon(config, ENV).start() as daemon:
        daemon.wait_for_event("daemon.ready", timeout=60)
        xero.post("webhooks", {"url": f"http://127.0.0.1:{port}/webhooks/books"})
        # Xero's Intent to Receive: right signature 200, wrong 401, both with empty bodies.
        assert xero.post("webhooks/intent", {}) == {"good": 200, "bad": 401, "passed": True}
        xero.post(f"contacts/{contact['ContactID']}", {"FirstName": "Hemi", "LastName": "P"})
        assert xero.post("webhooks/deliver", {}) == {"sent": 1, "status": 200}

        def read() -> list[tuple[Any, ...]]:
            return state(
                config,
                "SELECT state FROM jobs WHERE kind = 'event' AND payload LIKE ?",
                (f"%{contact['ContactID']}%",),
            )

        assert wait_until(lambda: read() == [("done",)], timeout=60, interval=0.3,
                          message=lambda: daemon.log()[-3000:])  # fmt: skip
    routes = xero.get("stats")["by_route"]
    assert routes.get(f"GET /Contacts/{contact['ContactID']}") == 1
    events = state(config, "SELECT topic, processed_at IS NOT NULL FROM events")
    assert events == [("xero", 1), ("xero", 1)]  # the ITR probe and the contact's delivery
