"""Test helpers: sandbox servers as real processes, configs on disk, the daemon as a process."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "test-sandbox-key"


@dataclass
class Server:
    proc: subprocess.Popen[str]
    url: str
    db: Path
    args: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
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
    log = db.with_suffix(".log").open("a")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
    log.close()
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    line = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("listening on "):
            return Server(proc, line.split()[-1].strip(), db, list(extra))
        if not line and proc.poll() is not None:
            break
    proc.kill()
    proc.wait()
    proc.stdout.close()
    err = db.with_suffix(".log").read_text()
    raise RuntimeError(f"sandbox {kind} did not start: {line!r} {err[-2000:]}")


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
    text = textwrap.dedent(f"""
        [daemon]
        state_file = "state/state.db"
        log_format = "json"
        log_level = "info"
        shutdown_grace = "10s"

        [sandbox]
        enabled = false

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
    path = tmp / "config.toml"
    path.write_text(text + textwrap.dedent(extra))
    return path


def daemon_env() -> dict[str, str]:
    env = dict(os.environ)
    env["SYNCWRIGHT_TEST_KEY"] = API_KEY
    return env


def daemon_cmd(config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "syncwright", "run", "--config", str(config), *extra]


def run_daemon(config: Path, *extra: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        daemon_cmd(config, *extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=daemon_env(),
        cwd=ROOT,
    )


def daemon_log(config: Path) -> Path:
    return config.parent / "daemon.log"


def start_daemon(config: Path, *extra: str) -> subprocess.Popen[str]:
    """Start the daemon in the background; its log goes to :func:`daemon_log`."""
    with daemon_log(config).open("a") as log:
        return subprocess.Popen(
            daemon_cmd(config, *extra),
            stdout=log,
            stderr=log,
            text=True,
            env=daemon_env(),
            cwd=ROOT,
        )


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
        if page.complete or not page.items:
            return items
        after = page.last_key[1] if page.last_key else None


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
    conn = sqlite3.connect(config.parent / "state" / "state.db")
    try:
        with conn:
            return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def run_ok(config: Path) -> str:
    """``syncwright run --until-idle`` must succeed; returns its log (stderr)."""
    result = run_daemon(config, "--until-idle")
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stderr


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
        store = await Store.open(config.parent / "state" / "state.db")
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                results = await Queue(store, SystemClock()).enqueue_many(connection, specs)
                store.stop_writes()
        finally:
            await store.aclose()
        return [r.merged for r in results]

    return anyio.run(go)
