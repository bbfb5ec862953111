"""A job that would wait for a flow's lock is not leased (issue 13 item 10), through the daemon
as a real process: while a slow stock pass runs, the scheduler queues the next stock pull every
second; it stays in the queue until the running page ends instead of waiting for the stock
lock in a worker slot, and the slot kept for class 0 takes the shop's new orders meanwhile."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import wait_until
from helpers import API_KEY, run_ok, sandbox_daemon, write_config

pytestmark = pytest.mark.slow

HEADERS = {"Authorization": f"Bearer {API_KEY}"}
SLOW_PATH = "/api/stock/changes"


class SlowProxy:
    """A loopback proxy in front of the sandbox ERP that answers stock change pages slowly."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.delay = 0.0
        self.calls: Counter[str] = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None: ...

            def _forward(self) -> None:
                path = self.path.split("?", 1)[0]
                proxy.calls[path] += 1
                if path == SLOW_PATH:
                    time.sleep(proxy.delay)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = httpx.request(
                    self.command, proxy.upstream + self.path, content=body, headers=headers
                )
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[SlowProxy]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def leased_stock_pulls(config: Path) -> int:
    with sqlite3.connect(config.parent / "state" / "state.db", timeout=5) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM jobs WHERE state = 'leased' AND kind = 'pull'"
            " AND json_extract(payload, '$.flow') = 'stock'"
        ).fetchone()
    return int(count)


def test_a_stock_pull_waits_in_the_queue_not_in_a_slot(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=6, variants=1, customers=2)
    proxy = SlowProxy(box.erp.url)
    with proxy.running():
        config = write_config(tmp_path, box, page_size=1, workers=3)
        text = config.read_text().replace(box.erp.url, proxy.url)
        text = text.replace(
            'flows = ["products", "stock"]', 'flows = ["products", "stock", "orders"]'
        )
        text = text.replace('overlap = "2m"', 'overlap = "1h"').replace(
            'recent = "1h"', 'recent = "1s"'
        )
        config.write_text(text)
        run_ok(config)  # the first sync, at full speed

        # Every stock page now takes 1.5 s, and a pass re-reads the hour's overlap: a page
        # at a time, the pass takes longer than many scheduler ticks.
        proxy.delay = 1.5
        sku = httpx.get(f"{box.erp.url}/api/products", params={"limit": 1}, headers=HEADERS)
        sku.raise_for_status()
        first_sku = sku.json()["items"][0]["variants"][0]["sku"]
        with sandbox_daemon(config).start() as proc:
            proc.wait_for_event("daemon.ready")
            wait_until(lambda: proxy.calls[SLOW_PATH] >= 2, timeout=60)
            order = {
                "customer": {"email": "ada@example.com", "first_name": "Ada", "last_name": "B"},
                "lines": [{"sku": first_sku, "quantity": 1, "unit_price": "9.90", "title": "x"}],
            }
            placed = httpx.post(f"{box.shop.url}/admin/orders", json=order, headers=HEADERS)
            placed.raise_for_status()
            pages_when_placed = proxy.calls[SLOW_PATH]

            seen: list[int] = []

            def order_posted() -> bool:
                seen.append(leased_stock_pulls(config))
                orders = httpx.get(f"{box.erp.url}/api/orders", headers=HEADERS).json()
                return bool(orders["items"])

            wait_until(order_posted, timeout=60, interval=0.05)
            # The order went through while the stock pass was still going.
            assert proxy.calls[SLOW_PATH] - pages_when_placed < 6
            # Never two stock pulls leased at once: the second one would only wait for the
            # first's lock, holding a worker slot.
            assert max(seen) == 1, seen
            assert proc.stop(timeout=30) == 0
