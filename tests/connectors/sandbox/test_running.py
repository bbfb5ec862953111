"""Running the sandboxes: standalone processes, restarts after a kill, and embedded serving."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import httpx

from syncwright.connectors.base import ListQuery, OpenGate, SystemSpec
from syncwright.connectors.sandbox.clients.erp import SandboxErp
from syncwright.connectors.sandbox.clients.settings import SandboxErpSettings
from syncwright.connectors.sandbox.erp.app import serve_erp
from syncwright.connectors.sandbox.settings import ErpSettings, ShopSettings
from syncwright.connectors.sandbox.shop.app import serve_shop

if TYPE_CHECKING:
    from tests.connectors.sandbox.conftest import Start

ROOT = Path(__file__).resolve().parents[3]
KEY = "embedded-key"


def test_standalone_prints_one_line_and_stops_cleanly(start_sandbox: Start) -> None:
    erp = start_sandbox("erp", "--products", "3")
    shop = start_sandbox("shop")
    assert erp.stop(signal.SIGTERM) == 0
    assert shop.stop(signal.SIGINT) == 0
    for sandbox in (erp, shop):
        assert len(sandbox.lines) == 1 and sandbox.lines[0].startswith("listening on http://")


def test_erp_state_survives_a_kill_and_is_not_seeded_again(
    start_sandbox: Start, tmp_path: Path
) -> None:
    db = tmp_path / "erp.db"
    erp = start_sandbox("erp", "--products", "20", db=db)
    with erp.client() as client:
        client.post("/admin/clock", json={"offset_seconds": -30}).raise_for_status()
        client.patch("/admin/products/2", json={"title": "Kept"}).raise_for_status()
        client.delete("/admin/products/3").raise_for_status()
        client.put(
            "/admin/stock", json={"sku": "SW-000004-01", "location": "north", "quantity": 4242}
        ).raise_for_status()
    assert erp.stop(signal.SIGKILL) == -signal.SIGKILL
    again = start_sandbox("erp", "--products", "500", db=db)
    with again.client() as client:
        listed = client.get("/api/products", params={"limit": 1000}).json()["items"]
        assert len(listed) == 19
        assert client.get("/api/products/2").json()["title"] == "Kept"
        assert client.get("/api/products/3").json()["deleted"] is True
        stock = client.get("/api/stock/by-sku", params={"skus": "SW-000004-01"}).json()
        assert 4242 in [row["quantity"] for row in stock["items"]]
        assert client.get("/admin/stats").json()["clock_offset_seconds"] == -30


def test_shop_state_survives_a_kill(start_sandbox: Start, tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    shop = start_sandbox("shop", db=db)
    product = {
        "external_id": "1",
        "title": "Kept",
        "handle": "kept",
        "variants": [{"external_id": "10", "sku": "K", "price": "5.00"}],
    }
    with shop.client() as client:
        assert (
            client.put("/api/products/batch", json={"products": [product]}).json()["results"][0][
                "error"
            ]
            is None
        )
        client.post(
            "/api/inventory/set",
            json={"levels": [{"sku": "K", "location": "central", "quantity": 8}]},
        ).raise_for_status()
    shop.stop(signal.SIGKILL)
    again = start_sandbox("shop", db=db)
    with again.client() as client:
        held = client.get("/api/products", params={"external_ids": "1"}).json()["items"]
        assert held[0]["title"] == "Kept" and held[0]["variants"][0]["price"] == "5.00"
        inventory = client.get("/api/inventory", params={"skus": "K"}).json()["items"]
        assert inventory[0]["quantity"] == 8


def test_a_busy_port_is_reported_and_exits_non_zero(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "syncwright.connectors.sandbox",
                "shop",
                "--listen",
                f"127.0.0.1:{port}",
                "--db",
                str(tmp_path / "s.db"),
                "--api-key",
                KEY,
            ],
            cwd=ROOT,
            capture_output=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 1 and done.stdout == b""
    assert b"cannot start" in done.stderr and b"in use" in done.stderr


def test_embedded_servers_share_the_callers_task_group(tmp_path: Path) -> None:
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    async def main() -> list[str]:
        inside = {sig: signal.getsignal(sig) for sig in handlers}  # asyncio's own SIGINT hook
        erp = ErpSettings(db_path=tmp_path / "e.db", api_key=KEY, products=10)
        shop = ShopSettings(db_path=tmp_path / "s.db", api_key=KEY)
        async with anyio.create_task_group() as group:
            erp_url = await group.start(serve_erp, erp)
            shop_url = await group.start(serve_shop, shop)
            assert {sig: signal.getsignal(sig) for sig in handlers} == inside
            source = SandboxErp(
                SystemSpec(
                    name="e",
                    kind="sandbox",
                    url=erp_url,
                    settings=SandboxErpSettings(),
                    secrets={"api_key": KEY},
                ),
                OpenGate(),
            )
            page = await source.list_products(ListQuery(after=None, limit=100))
            assert len(page.items) == 10 and page.complete
            await source.aclose()
            group.cancel_scope.cancel()
        return [erp_url, shop_url]

    urls = anyio.run(main)
    assert all(url.startswith("http://127.0.0.1:") and not url.endswith(":0") for url in urls)
    assert {sig: signal.getsignal(sig) for sig in handlers} == handlers
    for url in urls:  # the ports were released
        try:
            httpx.get(url, timeout=2)
        except httpx.ConnectError:
            continue
        raise AssertionError(f"{url} still answers after the task group ended")
