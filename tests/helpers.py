"""Test helpers for the sandbox: its servers as real processes, a config for them, the daemon
that syncs them (tests/harness.py runs it), and what the tests read from both sides."""

from __future__ import annotations

import os
import sqlite3
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import Daemon, config_file, start_listening, state_db, stop_process

API_KEY = "test-sandbox-key"
#: The environment the sandbox configs need: their credential comes from this variable.
SANDBOX_ENV = {"SYNCWRIGHT_TEST_KEY": API_KEY}


@dataclass
class Server:
    proc: Any
    url: str
    db: Path
    args: list[str] = field(default_factory=list)

    def stop(self) -> None:
        stop_process(self.proc, timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def start_server(kind: str, db: Path, *extra: str, listen: str = "127.0.0.1:0") -> Server:
    """Start ``python -m syncwright.connectors.sandbox KIND``; wait for its 'listening on' line."""
    args = [
        sys.executable,
        "-m",
        "syncwright.connectors.sandbox",
        kind,
        "--listen",
        listen,
        "--db",
        str(db),
        "--api-key",
        API_KEY,
        *extra,
    ]
    proc, url = start_listening(args, db.with_suffix(".log"), f"sandbox {kind}")
    return Server(proc, url, db, list(extra))


@dataclass
class Sandbox:
    erp: Server
    shop: Server
    tmp: Path

    def restart_shop(self) -> None:
        self.shop.stop()
        port = self.shop.url.rsplit(":", 1)[1]
        self.shop = start_server("shop", self.shop.db, *self.shop.args, listen=f"127.0.0.1:{port}")


def write_config(
    tmp: Path,
    box: Sandbox,
    *,
    page_size: int = 50,
    workers: int = 4,
    extra: str = "",
    minute_limit: int = 100000,
    connection: str = "demo",
) -> Path:
    """A config for the given sandbox processes, with the credential from an env variable."""
    systems = textwrap.dedent(f"""
        [systems.erp]
        kind = "sandbox-erp"
        url = "{box.erp.url}"
        credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}
        [systems.erp.budget.windows.minute]
        limit = {minute_limit}
        [systems.erp.budget.windows.day]
        limit = 10000000
        mode = "calendar"
        timezone = "Europe/Berlin"

        [systems.shop]
        kind = "sandbox-shop"
        url = "{box.shop.url}"
        credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}
        [systems.shop.budget.windows.minute]
        limit = {minute_limit}

        [connections.{connection}]
        source = "erp"
        channel = "shop"
        flows = ["products", "stock"]
        page_size = {page_size}
        overlap = "2m"
        workers = {workers}
        [connections.{connection}.schedule]
        recent = "1h"
        """)
    return config_file(tmp, systems + textwrap.dedent(extra))


def sandbox_daemon(config: Path) -> Daemon:
    """The daemon on a sandbox config (:func:`write_config`), its credential in the environment."""
    return Daemon(config, SANDBOX_ENV)


def daemon_env() -> dict[str, str]:
    """This process's environment with the sandbox credential (for ``syncwright`` commands)."""
    return {**os.environ, **SANDBOX_ENV}


def _spec(name: str, kind: str, url: str) -> object:
    from syncwright.connectors.base import SystemSpec
    from syncwright.connectors.registry import kind as kind_of

    settings = kind_of(kind).settings()
    return SystemSpec(
        name=name, kind=kind, url=url, settings=settings, secrets={"api_key": API_KEY}
    )


async def _all(list_page: Any) -> list[Any]:
    """Every item of a connector's full listing, page by page."""
    from syncwright.connectors.base import ListQuery

    items: list[Any] = []
    after: str | None = None
    while True:
        page = await list_page(ListQuery(after=after, limit=1000))
        items += page.items
        if page.complete or page.resume_key is None:
            return items
        after = page.resume_key[1]


async def _snapshot(box: Sandbox) -> dict[str, dict[str, object]]:
    from syncwright.connectors.base import OpenGate
    from syncwright.connectors.sandbox.clients.build import build_erp, build_shop

    erp = build_erp(_spec("erp", "sandbox-erp", box.erp.url), OpenGate())  # type: ignore[arg-type]
    shop = build_shop(_spec("shop", "sandbox-shop", box.shop.url), OpenGate())  # type: ignore[arg-type]
    try:
        products = {p.external_id: p.content_hash() for p in await _all(erp.list_products)}
        stock = {f"{s.sku}|{s.location}": s.quantity for s in await _all(erp.list_stock)}
        shop_products = {
            k: p.content_hash() for k, p in (await shop.read_products(list(products))).items()
        }
        skus = sorted({key.split("|")[0] for key in stock})
        shop_stock = {f"{s.sku}|{s.location}": s.quantity for s in await shop.read_stock(skus)}
        return {
            "erp_products": products,
            "shop_products": shop_products,
            "erp_stock": stock,
            "shop_stock": shop_stock,
        }
    finally:
        await erp.aclose()
        await shop.aclose()


def snapshot(box: Sandbox) -> dict[str, dict[str, object]]:
    """ERP and shop catalogue (content hashes) and stock, read over their HTTP APIs."""
    import anyio

    return anyio.run(_snapshot, box)


def assert_converged(box: Sandbox) -> dict[str, dict[str, object]]:
    snap = snapshot(box)
    assert snap["erp_products"], "the ERP listed no products"
    missing = set(snap["erp_products"]) - set(snap["shop_products"])
    assert not missing, (
        f"{len(missing)} products never reached the shop, e.g. {sorted(missing)[:5]}"
    )
    differ = [k for k, v in snap["erp_products"].items() if snap["shop_products"][k] != v]
    assert not differ, f"{len(differ)} products differ between ERP and shop, e.g. {differ[:5]}"
    assert snap["shop_stock"] == snap["erp_stock"]
    return snap


def state(config: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    """Run ``sql`` on the daemon's state file (next to ``config``, as write_config puts it),
    committed; its rows."""
    conn = sqlite3.connect(state_db(config))
    try:
        with conn:
            return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def run_ok(config: Path) -> str:
    """``syncwright run --until-idle`` must succeed; returns its log (stderr)."""
    return sandbox_daemon(config).run_ok()


def api(server: Server | str, method: str, path: str, body: object = None, **params: Any) -> Any:
    """One authenticated call to a sandbox (a Server or its base URL); the decoded JSON."""
    import httpx

    url = server if isinstance(server, str) else server.url
    response = httpx.request(
        method,
        f"{url}{path}",
        json=body,
        params=params or None,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def enqueue(config: Path, *specs: Any, connection: str = "demo") -> list[bool]:
    """Queue jobs in the state file while no daemon runs; returns which ones merged."""
    import anyio

    from syncwright.daemon.clock import SystemClock
    from syncwright.daemon.jobs.queue import Queue
    from syncwright.daemon.store.db import Store

    async def go() -> list[bool]:
        store = await Store.open(state_db(config))
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                results = await Queue(store, SystemClock()).enqueue_many(connection, specs)
                store.stop_writes()
        finally:
            await store.aclose()
        return [r.merged for r in results]

    return anyio.run(go)
