"""Orders from the sandbox shop into the sandbox ERP, through the daemon as a real process:
sale-time customers and products, at most one post per order (also across a SIGKILL right
after the remote create), amendments, shipments, the B2B filter, ambiguous customers, and a
dead order job's notification mailed through a real SMTP server on loopback."""

from __future__ import annotations

import email
import sqlite3
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from aiosmtpd.controller import Controller
from control_helpers import control_section, wait_for_socket
from harness import free_port, syncwright, wait_until
from helpers import (
    API_KEY,
    Sandbox,
    daemon_env,
    run_ok,
    sandbox_daemon,
    state,
    write_config,
)

from syncwright.connectors import registry
from syncwright.connectors.base import Capabilities, OpenGate, SystemSpec
from syncwright.connectors.sandbox.clients.build import build_erp, build_shop
from syncwright.daemon.clock import SystemClock
from syncwright.daemon.flows import HANDLERS
from syncwright.daemon.flows.context import FlowContext, FlowSettings
from syncwright.daemon.flows.pull import pull_spec
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.store.db import Store

pytestmark = pytest.mark.slow

HEADERS = {"Authorization": f"Bearer {API_KEY}"}
NEW_SKU = "SALE-NEW-1"


def orders_config(tmp_path: Path, box: Sandbox, extra: str = "") -> Path:
    path = write_config(tmp_path, box, extra=extra)
    text = path.read_text().replace('flows = ["products", "stock"]', 'flows = ["orders"]')
    path.write_text(text)
    return path


def call(url: str, method: str = "GET", body: object = None, **params: object) -> Any:
    response = httpx.request(method, url, json=body, params=params, headers=HEADERS, timeout=10)
    response.raise_for_status()
    return response.json()


def erp_orders(box: Sandbox) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = call(f"{box.erp.url}/api/orders", limit=1000)["items"]
    return items


def erp_stats(box: Sandbox) -> dict[str, Any]:
    stats: dict[str, Any] = call(f"{box.erp.url}/admin/stats")
    return stats


def erp_sku(box: Sandbox) -> str:
    product = call(f"{box.erp.url}/api/products", limit=1)["items"][0]
    sku: str = product["variants"][0]["sku"]
    return sku


def erp_customer(box: Sandbox, customer_id: int) -> dict[str, Any]:
    customer: dict[str, Any] = call(f"{box.erp.url}/api/customers/{customer_id}")
    return customer


def place(box: Sandbox, email_address: str, lines: list[dict[str, Any]], **extra: Any) -> str:
    body = {
        "customer": {"email": email_address, "first_name": "Ada", "last_name": "Buyer"},
        "lines": lines,
        **extra,
    }
    order_id: str = call(f"{box.shop.url}/admin/orders", "POST", body)["id"]
    return order_id


def line(sku: str | None, quantity: int = 1, price: str = "19.90") -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, "unit_price": price, "title": f"Item {sku}"}


def test_an_order_arrives_once_with_its_customer_products_amendment_and_shipment(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=5, variants=1, customers=6)
    config = orders_config(tmp_path, box)
    sku = erp_sku(box)
    buyer = erp_customer(box, 4)
    order_id = place(box, buyer["email"].upper(), [line(sku, 2), line(NEW_SKU, 1, "5.00")])

    run_ok(config)
    (posted,) = erp_orders(box)
    assert posted["channel_ref"] == f"shop:{order_id}"
    assert posted["customer_id"] == 4  # linked by e-mail (case ignored), not created
    assert [(item["sku"], item["quantity"]) for item in posted["lines"]] == [(sku, 2), (NEW_SKU, 1)]
    created = call(f"{box.erp.url}/api/products/by-sku/{NEW_SKU}")  # made at sale time
    assert created["variants"][0]["sku"] == NEW_SKU
    stats = erp_stats(box)
    assert stats["orders_created"] == 1 and stats["products_created"] == 1
    assert stats["calls"].get("POST /api/customers", 0) == 0
    assert state(config, "SELECT source_id FROM links WHERE entity = 'customer'") == [("4",)]
    assert state(config, "SELECT source_id, channel_id FROM links WHERE entity = 'order'") == [
        (str(posted["id"]), order_id)
    ]

    # Nothing changed: a second run posts, amends and creates nothing.
    run_ok(config)
    again = erp_stats(box)
    for key in ("orders_created", "orders_amended", "products_created", "shipments_added"):
        assert again[key] == stats[key], key
    assert again["calls"].get("GET /api/orders/by-ref", 0) == 1

    # An amendment and a shipment in the shop reach the same back-office order.
    call(f"{box.shop.url}/admin/orders/{order_id}", "PATCH", {"lines": [line(sku, 3)]})
    shipment = {"lines": [[sku, 3]], "carrier": "DHL", "tracking": "JD0001"}
    call(f"{box.shop.url}/admin/orders/{order_id}/shipments", "POST", shipment)
    run_ok(config)
    (amended,) = erp_orders(box)
    assert amended["id"] == posted["id"]
    assert [(item["sku"], item["quantity"]) for item in amended["lines"]] == [(sku, 3)]
    assert [s["tracking"] for s in amended["shipments"]] == ["JD0001"]
    final = erp_stats(box)
    assert final["orders_created"] == 1
    assert final["orders_amended"] == 1 and final["shipments_added"] == 1
    assert state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)]


def test_a_new_customer_is_created_in_the_back_office(sandbox_factory: Any, tmp_path: Path) -> None:
    box = sandbox_factory(products=3, variants=1, customers=2)
    config = orders_config(tmp_path, box)
    place(box, "first.timer@example.com", [line(erp_sku(box))])
    run_ok(config)
    (posted,) = erp_orders(box)
    customer = erp_customer(box, posted["customer_id"])
    assert customer["email"] == "first.timer@example.com"
    assert posted["customer_id"] == 3  # after the two seeded ones


def test_only_b2b_orders_are_forwarded_when_configured(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=3, variants=1, customers=0)
    config = orders_config(tmp_path, box, "\n[connections.demo.orders]\nonly_b2b = true\n")
    sku = erp_sku(box)
    retail = place(box, "retail@example.com", [line(sku)])
    trade = place(box, "trade@example.com", [line(sku, 10)], b2b=True)
    run_ok(config)
    assert [o["channel_ref"] for o in erp_orders(box)] == [f"shop:{trade}"]
    assert state(
        config,
        "SELECT last_error FROM item_state WHERE entity = 'order' AND source_id = ?",
        (retail,),
    ) == [("skipped: not a B2B order (only_b2b)",)]
    assert state(config, "SELECT count(*) FROM jobs WHERE kind = 'post_order'") == [(1,)]


def test_an_ambiguous_customer_is_a_sync_log_error_and_nothing_is_posted(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=3, variants=1, customers=4)
    config = orders_config(tmp_path, box)
    # The seed's customers 1 and 2 share one e-mail (connectors/sandbox/erp/seed_customers.py).
    shared = erp_customer(box, 1)["email"]
    assert erp_customer(box, 2)["email"].lower() == shared.lower()
    order_id = place(box, shared, [line(erp_sku(box))])
    run_ok(config)
    assert erp_orders(box) == []
    assert erp_stats(box)["calls"].get("POST /api/customers", 0) == 0  # no guess, no create
    ((message,),) = state(
        config,
        "SELECT message FROM sync_errors WHERE flow = 'orders' AND external_id = ?",
        (order_id,),
    )
    assert f"customer e-mail {shared} [channel customer sc_1] matches 2" in message
    assert "in the back office: 1, 2; no flow links either" in message
    assert message.endswith("(syncwright link demo BACK_OFFICE_ID sc_1)")
    assert state(config, "SELECT kind FROM notifications") == [("customer_ambiguous",)]
    assert state(config, "SELECT count(*) FROM links WHERE entity = 'customer'") == [(0,)]
    # Seen again unchanged: no second notification.
    run_ok(config)
    assert state(config, "SELECT count(*) FROM notifications") == [(1,)]


def test_sigkill_right_after_the_remote_create_still_posts_exactly_once(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=3, variants=1, customers=0)
    config = orders_config(tmp_path, box)
    order_id = place(box, "crash.test@example.com", [line(erp_sku(box), 4)])
    crashed = sandbox_daemon(config).run(
        "--until-idle", timeout=90, env={"SYNCWRIGHT_TEST_CRASH_AFTER": "order_created"}
    )
    assert crashed.returncode == -9, crashed.stderr[-3000:]
    # The back office took the order; our link to it died with the process.
    assert len(erp_orders(box)) == 1
    assert state(config, "SELECT count(*) FROM links WHERE entity = 'order'") == [(0,)]
    assert state(config, "SELECT state FROM jobs WHERE kind = 'post_order'") == [("leased",)]

    run_ok(config)
    (posted,) = erp_orders(box)  # still exactly one
    assert posted["channel_ref"] == f"shop:{order_id}"
    assert erp_stats(box)["orders_created"] == 1
    assert state(config, "SELECT source_id, channel_id FROM links WHERE entity = 'order'") == [
        (str(posted["id"]), order_id)
    ]
    assert state(config, "SELECT state FROM jobs WHERE kind = 'post_order'") == [("done",)]


def test_sigkill_right_after_a_shipment_was_added_adds_it_once(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """The daemon dies after the back office took a shipment and before its link: the next run
    looks the shipment up, finds it and links it, without posting it again."""
    box = sandbox_factory(products=3, variants=1, customers=0)
    config = orders_config(tmp_path, box)
    sku = erp_sku(box)
    order_id = place(box, "ship.crash@example.com", [line(sku, 2)])
    shipment = {"lines": [[sku, 2]], "carrier": "DHL", "tracking": "JD0002"}
    call(f"{box.shop.url}/admin/orders/{order_id}/shipments", "POST", shipment)
    crashed = sandbox_daemon(config).run(
        "--until-idle", timeout=90, env={"SYNCWRIGHT_TEST_CRASH_AFTER": "shipment_added"}
    )
    assert crashed.returncode == -9, crashed.stderr[-3000:]
    (posted,) = erp_orders(box)
    assert [s["tracking"] for s in posted["shipments"]] == ["JD0002"]
    assert state(config, "SELECT count(*) FROM links WHERE entity = 'shipment'") == [(0,)]

    run_ok(config)
    (posted,) = erp_orders(box)
    assert [s["tracking"] for s in posted["shipments"]] == ["JD0002"]
    assert erp_stats(box)["calls"].get("POST /api/orders/{id}/shipments") == 1  # not again
    ((link,),) = state(config, "SELECT channel_id FROM links WHERE entity = 'shipment'")
    assert link.startswith(f"{order_id}/")
    assert state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)]


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def test_a_permanent_posting_failure_is_dead_and_mailed(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=3, variants=1, customers=0)
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    notify = f"""
        [notify]
        enabled = true
        from = "syncwright@example.com"
        to = ["ops@example.com"]
        digest_interval = "1s"
        [notify.smtp]
        host = "127.0.0.1"
        port = {port}
        security = "none"
        """
    try:
        config = orders_config(tmp_path, box, notify)
        good = place(box, "good@example.com", [line(erp_sku(box))])
        bad = place(box, "bad@example.com", [line(erp_sku(box)), line(None)])
        run_ok(config)
    finally:
        controller.stop()
    assert [o["channel_ref"] for o in erp_orders(box)] == [f"shop:{good}"]
    ((job_state, last_error),) = state(
        config,
        "SELECT state, last_error FROM jobs WHERE kind = 'post_order'"
        " AND json_extract(payload, '$.order') = ?",
        (bad,),
    )
    assert job_state == "dead" and "line 2" in last_error and "has no SKU" in last_error
    ((message,),) = state(config, "SELECT message FROM sync_errors WHERE external_id = ?", (bad,))
    assert message.startswith(f"order {bad} was not posted")
    assert state(config, "SELECT kind, sent_at IS NOT NULL FROM notifications") == [
        ("order_failed", 1)
    ]
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["ops@example.com"]
    mail = email.message_from_bytes(envelope.content)
    assert mail["Subject"] == "[Syncwright] 1 problem needs attention (demo)"
    assert f"order {bad} was not posted" in mail.get_payload(decode=True).decode()


def test_a_cursor_mode_pull_queues_one_post_per_new_or_changed_order(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """In-process, with the shop declaring a time cursor for its orders: the pull reads the
    changes feed and queues sale jobs only for orders it has not seen in this form."""
    box = sandbox_factory(products=2, variants=1, customers=0)
    sku = erp_sku(box)
    first = place(box, "one@example.com", [line(sku)])
    second = place(box, "two@example.com", [line(sku)])

    def finish(queue: Queue, job: Any, commit: Any, conn: sqlite3.Connection) -> None:
        if commit is not None:
            commit(conn)
        queue.complete_in(conn, job)

    def spec(name: str, kind: str, url: str) -> SystemSpec[Any]:
        settings = registry.kind(kind).settings()
        return SystemSpec(
            name=name, kind=kind, url=url, settings=settings, secrets={"api_key": API_KEY}
        )

    async def main() -> list[list[str]]:
        store = await Store.open(tmp_path / "state.db")
        erp = build_erp(spec("erp", "sandbox-erp", box.erp.url), OpenGate())
        shop = build_shop(spec("shop", "sandbox-shop", box.shop.url), OpenGate())
        shop.capabilities = Capabilities(cursor="none", order_cursor="time")  # type: ignore[misc]
        rounds: list[list[str]] = []
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                queue = Queue(store, SystemClock())
                ctx = FlowContext(
                    "demo", FlowSettings(page_size=1), erp, shop, store, queue, SystemClock()
                )
                for _ in range(3):
                    queued: list[str] = []
                    await queue.enqueue("demo", pull_spec("orders"))
                    while jobs := await queue.lease("demo", "t", [0, 2], 10):
                        for job in jobs:
                            if job.kind == "post_order":
                                queued.append(job.payload["order"])
                                await queue.complete(job)  # not run: only the queueing counts
                                continue
                            commit = await HANDLERS[job.kind](ctx, job)
                            await store.write(partial(finish, queue, job, commit))
                    rounds.append(sorted(queued))
                    if len(rounds) == 2:  # an amendment moves the order's updated_at
                        call(
                            f"{box.shop.url}/admin/orders/{first}",
                            "PATCH",
                            {"lines": [line(sku, 5)]},
                        )
                tg.cancel_scope.cancel()
        finally:
            await erp.aclose()
            await shop.aclose()
            await store.aclose()
        return rounds

    rounds = anyio.run(main)
    assert rounds == [sorted([first, second]), [], [first]]
    calls = call(f"{box.shop.url}/admin/stats")["calls"]
    assert calls.get("GET /api/orders/changes", 0) >= 3
    assert calls.get("GET /api/orders", 0) == 0  # no full listing in cursor mode


def test_an_order_job_dead_as_a_poison_pill_is_logged_and_mailed(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """The daemon dies (SIGKILL) while posting an order; with max_orphaned = 1 the restart
    recovers the job as a poison pill: dead, a sync-log error and a mailed notification, like
    an order job that died of a failed run."""
    box = sandbox_factory(products=3, variants=1, customers=0)
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    notify = f"""
        [notify]
        enabled = true
        from = "syncwright@example.com"
        to = ["ops@example.com"]
        digest_interval = "1s"
        [notify.smtp]
        host = "127.0.0.1"
        port = {port}
        security = "none"
        """
    try:
        config = orders_config(tmp_path, box, notify)
        config.write_text(
            config.read_text().replace(
                'shutdown_grace = "10s"', 'shutdown_grace = "10s"\nmax_orphaned = 1'
            )
        )
        order_id = place(box, "pill@example.com", [line(erp_sku(box), 2)])
        crashed = sandbox_daemon(config).run(
            "--until-idle", timeout=90, env={"SYNCWRIGHT_TEST_CRASH_AFTER": "order_created"}
        )
        assert crashed.returncode == -9, crashed.stderr[-3000:]
        assert state(config, "SELECT count(*) FROM notifications") == [(0,)]
        log = run_ok(config)
    finally:
        controller.stop()
    ((job_state, last_error),) = state(
        config, "SELECT state, last_error FROM jobs WHERE kind = 'post_order'"
    )
    assert job_state == "dead" and last_error.startswith("poison pill"), log[-3000:]
    ((message,),) = state(
        config,
        "SELECT message FROM sync_errors WHERE flow = 'orders' AND external_id = ?",
        (order_id,),
    )
    assert message == f"order {order_id} was not posted: {last_error}"
    assert state(config, "SELECT kind, sent_at IS NOT NULL FROM notifications") == [
        ("order_failed", 1)
    ]
    (envelope,) = inbox.envelopes
    body = email.message_from_bytes(envelope.content).get_payload(decode=True).decode()
    assert f"order {order_id} was not posted: poison pill" in body
    assert "never posted twice" in body


def test_a_shared_e_mail_is_linked_by_no_flow_until_a_person_links_it(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """Back-office customers 1 and 2 share an e-mail; the shop has one customer with it, who
    orders. Neither the customers flow nor the order links either (an error on both), until
    ``syncwright link`` does: recorded, and the waiting order is posted to the chosen one."""
    box = sandbox_factory(products=3, variants=1, customers=4)
    shared = erp_customer(box, 1)["email"]
    assert erp_customer(box, 2)["email"].lower() == shared.lower()
    buyer = call(
        f"{box.shop.url}/api/customers",
        "POST",
        {"email": shared, "first_name": "Ada", "last_name": "Buyer"},
    )["id"]
    sku = erp_sku(box)
    order_id = call(
        f"{box.shop.url}/admin/orders", "POST", {"customer_id": buyer, "lines": [line(sku)]}
    )["id"]
    sock = tmp_path / "control.sock"
    config = orders_config(tmp_path, box, extra=control_section(sock))
    config.write_text(
        config.read_text().replace('flows = ["orders"]', 'flows = ["customers", "orders"]')
    )
    run_ok(config)
    run_ok(config)  # the order is seen again after the customers flow ran: still refused

    assert erp_orders(box) == []
    links = state(config, "SELECT source_id, channel_id FROM links WHERE entity = 'customer'")
    assert not [row for row in links if row[0] in ("1", "2") or row[1] == buyer]
    errors = dict(state(config, "SELECT external_id, message FROM sync_errors"))
    assert "shares e-mail" in errors["1"] and "2" in errors["1"]
    assert "shares e-mail" in errors["2"] and "1" in errors["2"]
    assert f"[channel customer {buyer}]" in errors[order_id]

    daemon = sandbox_daemon(config)
    with daemon.start() as running:
        wait_for_socket(sock, running)
        linked = syncwright(
            "link",
            "demo",
            "1",
            buyer,
            "--by",
            "Ada at the desk",
            "--config",
            str(config),
            env=daemon_env(),
        )
        assert linked.returncode == 0, linked.stderr
        assert f"orders queued again: {order_id}" in linked.stdout
        wait_until(lambda: len(erp_orders(box)) == 1, timeout=60, message="order not posted")
        running.stop()
    (posted,) = erp_orders(box)
    assert posted["customer_id"] == 1
    assert state(
        config,
        "SELECT source_id, made_by FROM links WHERE entity = 'customer' AND channel_id = ?",
        (buyer,),
    ) == [("1", "Ada at the desk")]
    left = dict(state(config, "SELECT external_id, message FROM sync_errors"))
    assert "1" not in left and order_id not in left and "2" in left


def test_a_link_a_flow_made_is_no_answer_to_an_ambiguous_e_mail(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """A flow's link of one of two customers sharing the e-mail (an older daemon's guess) does
    not decide the order's customer: the order is refused like an unlinked one."""
    box = sandbox_factory(products=3, variants=1, customers=4)
    shared = erp_customer(box, 1)["email"]
    buyer = call(
        f"{box.shop.url}/api/customers",
        "POST",
        {"email": shared, "first_name": "Ada", "last_name": "Buyer"},
    )["id"]
    call(
        f"{box.shop.url}/admin/orders",
        "POST",
        {"customer_id": buyer, "lines": [line(erp_sku(box))]},
    )
    config = orders_config(tmp_path, box)
    run_ok(config)  # creates the state file; the order is refused (no link yet)
    state(config, "DELETE FROM sync_errors")
    state(config, "DELETE FROM item_state WHERE entity = 'order'")  # seen anew next time
    state(
        config,
        "INSERT INTO links (connection, entity, source_id, channel_id, created_at)"
        " VALUES ('demo', 'customer', '1', ?, 0)",
        (buyer,),
    )
    run_ok(config)
    assert erp_orders(box) == []
    (message,) = [m for (m,) in state(config, "SELECT message FROM sync_errors")]
    assert "matches 2 customers in the back office: 1, 2" in message


def test_an_order_for_a_sku_renamed_in_the_back_office_posts_to_its_variant(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    # Issue 14 defect A: the products flow put the variant in the shop; the back office
    # renames its SKU; a shopper buys it under the old SKU before the rename reaches the shop.
    box = sandbox_factory(products=3, variants=1, customers=0)
    products = write_config(tmp_path, box)
    run_ok(products)  # products flow: the shop holds the ERP's SKUs
    product = call(f"{box.erp.url}/api/products", limit=1)["items"][0]
    variant = product["variants"][0]
    old_sku, new_sku = variant["sku"], f"{variant['sku']}-R"
    assert state(
        products,
        "SELECT count(*) FROM links WHERE entity = 'variant' AND source_id = ?",
        (old_sku,),
    ) == [(1,)]
    edit = {"variants": [{"id": variant["id"], "sku": new_sku}]}
    call(f"{box.erp.url}/admin/products/{product['id']}", "PATCH", edit)
    order_id = place(box, "late.rename@example.com", [line(old_sku, 2)])

    config = orders_config(tmp_path, box)  # same state file; the rename never reaches the shop
    run_ok(config)
    (posted,) = erp_orders(box)
    assert posted["channel_ref"] == f"shop:{order_id}"
    assert [(item["sku"], item["quantity"]) for item in posted["lines"]] == [(new_sku, 2)]
    assert state(config, "SELECT count(*) FROM jobs WHERE state = 'dead'") == [(0,)]
    stats = erp_stats(box)
    assert stats["orders_created"] == 1 and stats["products_created"] == 0

    run_ok(config)  # a second pass neither posts again nor amends
    again = erp_stats(box)
    assert again["orders_created"] == 1 and again["orders_amended"] == 0
