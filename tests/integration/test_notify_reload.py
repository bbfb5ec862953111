"""[notify] changes apply on SIGHUP without a restart: the digest task starts, takes a new
interval, and stops, in a running daemon process mailing through a real SMTP server (aiosmtpd)
on loopback."""

from __future__ import annotations

import email
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from harness import DaemonProcess, free_port, wait_until
from helpers import Sandbox, api, sandbox_daemon, state, write_config

pytestmark = pytest.mark.slow


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def notify_section(port: int, *, enabled: bool, interval: str) -> str:
    return f"""
[notify]
enabled = {"true" if enabled else "false"}
from = "syncwright@example.com"
to = ["ops@example.com"]
digest_interval = "{interval}"
[notify.smtp]
host = "127.0.0.1"
port = {port}
security = "none"
"""


def logged_once(proc: DaemonProcess, event: str) -> None:
    wait_until(
        lambda: len(proc.events(event)) == 1,
        timeout=30,
        message=f"timed out waiting for {event}",
    )


def place_bad_order(box: Sandbox) -> str:
    """An order the back office refuses (a line without SKU): its job goes dead at once."""
    body = {
        "customer": {"email": "reload@example.com", "first_name": "Ada", "last_name": "Buyer"},
        "lines": [{"sku": None, "quantity": 1, "unit_price": "9.90", "title": "Mystery"}],
    }
    order_id: str = api(box.shop, "POST", "/admin/orders", body)["id"]
    return order_id


def test_sighup_starts_retimes_and_stops_the_digest(sandbox_factory: Any, tmp_path: Path) -> None:
    box = sandbox_factory(products=3, variants=1, customers=0)
    config = write_config(tmp_path, box)
    base = config.read_text().replace('flows = ["products", "stock"]', 'flows = ["orders"]')
    config.write_text(base)
    order_id = place_bad_order(box)
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with sandbox_daemon(config).start() as proc:
            logged_once(proc, "daemon.ready")
            unsent = "SELECT count(*) FROM notifications WHERE sent_at IS NULL"
            wait_until(
                lambda: state(config, unsent) == [(1,)],
                timeout=30,
                message="timed out waiting for the dead order's notification",
            )

            # On, with an interval far longer than the test: started, its first digest due in
            # an hour (the notifier waits one interval before it mails), nothing mailed yet.
            config.write_text(base + notify_section(port, enabled=True, interval="1h"))
            proc.send_signal(signal.SIGHUP)
            logged_once(proc, "notify.started")
            assert proc.events("notify.started")[0]["every"] == 3600
            assert inbox.envelopes == [] and state(config, unsent) == [(1,)]

            # A short interval applies at once (the task restarts): the digest goes out.
            config.write_text(base + notify_section(port, enabled=True, interval="1s"))
            proc.send_signal(signal.SIGHUP)
            logged_once(proc, "notify.restarted")
            wait_until(
                lambda: len(inbox.envelopes) == 1,
                timeout=30,
                message="timed out waiting for the digest mail",
            )
            mail = email.message_from_bytes(inbox.envelopes[0].content)
            assert f"order {order_id} was not posted" in mail.get_payload(decode=True).decode()
            wait_until(
                lambda: state(config, unsent) == [(0,)],
                timeout=30,
                message="timed out waiting for the row marked sent",
            )

            # Off: a new problem stays in the outbox, unsent, even through the daemon's stop
            # (a running notifier would mail it in its final attempt as the daemon stops).
            config.write_text(base + notify_section(port, enabled=False, interval="1s"))
            proc.send_signal(signal.SIGHUP)
            logged_once(proc, "notify.stopped")
            state(
                config,
                "INSERT INTO notifications (connection, kind, subject, body, created_at)"
                " VALUES ('demo', 'test', 'written while mail is off', '', ?)",
                (time.time(),),
            )
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
            assert len(inbox.envelopes) == 1 and state(config, unsent) == [(1,)]
    finally:
        controller.stop()
