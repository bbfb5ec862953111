"""Real Tryton -> the daemon (a real process) -> real Oscar, and Oscar orders back to Tryton:
products, prices and stock arrive; an order placed through Oscar's checkout arrives in Tryton
exactly once with its customer linked by e-mail, lines by SKU, a missing product created at
sale time; a SIGKILL of the daemon at a random moment loses and duplicates nothing."""

from __future__ import annotations

import random
import signal
import sqlite3
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Daemon, config_file, state_db, syncwright, wait_until
from oscar_shopper import Admin, place_order
from tryton_admin import TrytonAdmin

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def write_config(tmp: Path, tryton: Any, oscar: Any, extra: str = "", overlap: str = "2m") -> Path:
    return config_file(
        tmp,
        extra
        + f"""
        [systems.erp]
        kind = "tryton"
        url = "{tryton.url}"
        timeout = "60s"
        credentials = {{ password = {{ env = "SYNCWRIGHT_TEST_TRYTON_PASSWORD" }} }}
        [systems.erp.settings]
        database = "{tryton.ids["db"]}"
        web_shop = "Oscar"

        [systems.shop]
        kind = "oscar"
        url = "{oscar.url}"
        timeout = "60s"
        credentials = {{ api_token = {{ env = "SYNCWRIGHT_TEST_OSCAR_TOKEN" }} }}
        [systems.shop.settings]
        partner = "{oscar.ids["partner"]}"
        warehouse = "WH"

        [connections.real]
        source = "erp"
        channel = "shop"
        flows = ["products", "stock", "orders"]
        page_size = 50
        overlap = "{overlap}"
        workers = 2
        [connections.real.schedule]
        recent = "2s"
        """,
    )


def daemon(config: Path, tryton: Any, oscar: Any) -> Daemon:
    """The daemon between them, their credentials in its environment."""
    return Daemon(
        config,
        {
            "SYNCWRIGHT_TEST_TRYTON_PASSWORD": tryton.ids["password"],
            "SYNCWRIGHT_TEST_OSCAR_TOKEN": oscar.ids["token"],
        },
    )


def run_until_idle(d: Daemon) -> str:
    return d.run_ok(timeout=300, tail=4000)


def problems(config: Path) -> list[tuple[Any, ...]]:
    """Open sync errors and jobs that went dead, from the daemon's state file."""
    conn = sqlite3.connect(state_db(config))
    try:
        errors = conn.execute("SELECT flow, external_id, message FROM sync_errors").fetchall()
        dead = conn.execute("SELECT kind, payload, last_error FROM jobs WHERE state = 'dead'")
        return errors + dead.fetchall()
    finally:
        conn.close()


def available(oscar: Any, sku: str) -> int:
    record = Admin(oscar).record(sku)
    return int(record["num_in_stock"]) - int(record["num_allocated"] or 0)


def test_catalog_orders_and_sale_time_product(tryton: Any, oscar: Any, tmp_path: Path) -> None:
    admin = TrytonAdmin(tryton)
    _, (widget,) = admin.product("Widget", "SKU-1", "10.00")
    _, (gadget, gadget_b) = admin.product("Gadget", "SKU-2", "4.50", "SKU-2B")
    admin.set_stock({widget: 10, gadget: 5, gadget_b: 1})
    config = write_config(tmp_path, tryton, oscar)
    d = daemon(config, tryton, oscar)
    check = syncwright("check-config", str(config), env=d.environ(), timeout=None)
    assert check.returncode == 0, check.stdout + check.stderr

    run_until_idle(d)
    shop = Admin(oscar)
    held = {
        rec["partner_sku"]: (row["title"], rec["price"], rec["num_in_stock"])
        for row in shop.products()
        for rec in row["stockrecords"]
    }
    assert held == {
        "SKU-1": ("Widget", "10.00", 10),
        "SKU-2": ("Gadget", "4.50", 5),
        "SKU-2B": ("Gadget", "4.50", 1),
    }

    # A price change in Tryton (template only) and new stock arrive on the next run.
    tmpl = admin("product.product", "read", [widget], ["template"])[0]["template"]
    admin("product.template", "write", [tmpl], {"list_price": Decimal("12.00")})
    admin.set_stock({gadget: 7})
    run_until_idle(d)
    assert shop.record("SKU-1")["price"] == "12.00"
    assert available(oscar, "SKU-2") == 7

    # A product Oscar sells that Tryton lacks, then an order through Oscar's checkout.
    partner = next(
        p
        for p in httpx.get(
            f"{oscar.url}/api/admin/partners/",
            headers={"Authorization": f"Token {oscar.ids['token']}"},
        ).json()["results"]
    )
    created = httpx.post(
        f"{oscar.url}/api/admin/products/",
        headers={"Authorization": f"Token {oscar.ids['token']}"},
        json={
            "product_class": "goods",
            "structure": "standalone",
            "title": "Shop only",
            "upc": "SHOP-X",
            "slug": "shop-only",
            "stockrecords": [
                {
                    "partner": partner["url"],
                    "partner_sku": "SKU-X",
                    "price": "3.00",
                    "price_currency": "EUR",
                    "num_in_stock": 5,
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    order = place_order(oscar, "Jane.Doe@example.com", [("SKU-1", 2), ("SKU-X", 1)])
    assert available(oscar, "SKU-1") == 8  # Oscar allocated the two widgets

    run_until_idle(d)
    sales = admin.sales()
    assert [s["web_id"] for s in sales] == [f"shop:{order['number']}"]
    sale = sales[0]
    assert sale["state"] == "processing"
    assert admin.sale_lines(sale["id"]) == [
        ("SKU-1", 2.0, Decimal("12.0000")),
        ("SKU-X", 1.0, Decimal("3.0000")),
    ]
    party = admin("party.party", "read", [sale["party"]], ["email", "name"])[0]
    assert (party["email"], party["name"]) == ("Jane.Doe@example.com", "Jane Doe")
    created_sku = admin(
        "product.product", "search_read", [["code", "=", "SKU-X"]], 0, None, None, ["code"]
    )
    assert len(created_sku) == 1

    # The posted order is deducted in Tryton (forecast 10 - 2 = 8); Oscar keeps its own
    # allocation of 2, so what it sells stays 8: the order is not counted twice.
    run_until_idle(d)
    assert available(oscar, "SKU-1") == 8
    assert Admin(oscar).record("SKU-1")["num_allocated"] == 2

    # Another run, and a second order by the same customer: still one post each, one party.
    second = place_order(oscar, "jane.doe@example.com", [("SKU-2", 1)])
    run_until_idle(d)
    sales = admin.sales()
    assert [s["web_id"] for s in sales] == [f"shop:{order['number']}", f"shop:{second['number']}"]
    assert sales[1]["party"] == sale["party"]
    assert problems(config) == []


def test_sigkill_at_a_random_moment_loses_and_duplicates_nothing(
    tryton: Any, oscar: Any, tmp_path: Path
) -> None:
    admin = TrytonAdmin(tryton)
    _, (widget,) = admin.product("Widget", "SKU-1", "10.00")
    admin.set_stock({widget: 100})
    config = write_config(tmp_path, tryton, oscar)
    d = daemon(config, tryton, oscar)
    run_until_idle(d)
    numbers = [
        place_order(oscar, f"buyer{n}@example.com", [("SKU-1", 1)])["number"] for n in range(4)
    ]
    with d.start() as running:
        moment = random.Random().uniform(0.5, 6.0)
        print(f"SIGKILL after {moment:.2f} s")
        time.sleep(moment)
        running.stop(signal.SIGKILL)
    posted_before = len(admin.sales())
    numbers.append(place_order(oscar, "late@example.com", [("SKU-1", 1)])["number"])
    run_until_idle(d)
    web_ids = sorted(s["web_id"] for s in admin.sales())
    assert web_ids == sorted(f"shop:{n}" for n in numbers), (posted_before, web_ids)
    assert problems(config) == []
    parties = admin(
        "party.party", "search_read", [["name", "=", "Jane Doe"]], 0, None, None, ["email"]
    )
    assert sorted(p["email"] for p in parties) == sorted(
        [f"buyer{n}@example.com" for n in range(4)] + ["late@example.com"]
    )


@pytest.mark.parametrize(
    ("point", "state"),
    [
        ("order_created", "draft"),
        ("order_quote", "quotation"),
        # Tryton processes a sale as it confirms it (with no queue worker, its queued
        # "process" runs at once), so no step is left after "confirm" here; the "process"
        # step is for a Tryton that processes later (sale_process_after).
        ("order_confirm", None),
    ],
)
def test_crash_at_every_step_of_posting_to_tryton(
    tryton: Any, oscar: Any, tmp_path: Path, point: str, state: str | None
) -> None:
    """The daemon dies right after Tryton created the sale (before the link is stored), or
    after each step of its workflow: the next run finds the sale by its web id instead of
    posting it again, and takes it on from the state Tryton holds to processed."""
    admin = TrytonAdmin(tryton)
    _, (widget,) = admin.product("Widget", "SKU-1", "10.00")
    admin.set_stock({widget: 10})
    config = write_config(tmp_path, tryton, oscar)
    d = daemon(config, tryton, oscar)
    run_until_idle(d)
    order = place_order(oscar, "crash@example.com", [("SKU-1", 3)])
    crashed = d.run("--until-idle", timeout=300, env={"SYNCWRIGHT_TEST_CRASH_AFTER": point})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    (left,) = admin.sales()
    assert left["web_id"] == f"shop:{order['number']}"
    assert left["state"] == state if state else left["state"] in ("confirmed", "processing")
    run_until_idle(d)
    sales = admin.sales()
    assert [s["web_id"] for s in sales] == [f"shop:{order['number']}"]
    assert sales[0]["state"] == "processing"
    assert problems(config) == []
    assert admin.sale_lines(sales[0]["id"]) == [("SKU-1", 3.0, Decimal("10.0000"))]


def sweep_due(config: Path, *source_ids: str) -> None:
    """Make a ghost sweep due now, with ``source_ids`` the least recently verified."""
    conn = sqlite3.connect(state_db(config))
    try:
        with conn:
            conn.execute("UPDATE connection_state SET last_ghost_at = 0")
            for pid in source_ids:
                conn.execute(
                    "UPDATE item_state SET last_verified_at = 1"
                    " WHERE entity = 'product' AND source_id = ?",
                    (pid,),
                )
    finally:
        conn.close()


def test_a_template_deleted_in_tryton_is_discontinued_by_the_ghost_sweep(
    tryton: Any, oscar: Any, tmp_path: Path
) -> None:
    """Issue 14 item 3: reading a deleted template failed the whole sweep, every time."""
    admin = TrytonAdmin(tryton)
    doomed, _ = admin.product("Doomed", "SKU-D", "5.00")
    kept, (kept_variant,) = admin.product("Kept", "SKU-K", "6.00")
    admin.set_stock({kept_variant: 4})
    config = write_config(tmp_path, tryton, oscar)
    d = daemon(config, tryton, oscar)
    run_until_idle(d)
    assert Admin(oscar).record("SKU-D")["is_public"] is True
    admin("product.template", "delete", [doomed])
    # The Oscar copy of "Kept" drifts behind our back: the same sweep must still repair it.
    row = next(r for r in Admin(oscar).products() if r["title"] == "Kept")
    edited = httpx.patch(
        row["url"],
        headers={"Authorization": f"Token {oscar.ids['token']}"},
        json={"title": "Edited in Oscar"},
    )
    assert edited.status_code == 200, edited.text
    sweep_due(config, str(doomed), str(kept))
    run_until_idle(d)
    assert Admin(oscar).record("SKU-D")["is_public"] is False
    assert Admin(oscar).record("SKU-K")["title"] == "Kept"
    assert problems(config) == []


def rows(config: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(state_db(config))
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def deactivate(admin: TrytonAdmin, template: int) -> None:
    """Deactivate a template with stock, as a Tryton user would: past the warning about it."""
    try:
        admin("product.template", "write", [template], {"active": False})
        return
    except RuntimeError as exc:
        key = str(exc).split("'UserWarning', ['", 1)[1].split("'", 1)[0]
    (user,) = admin("res.user", "search", [["login", "=", admin.ids["user"]]], 0, 1, None)
    admin("res.user.warning", "create", [{"user": user, "name": key, "always": True}])
    admin("product.template", "write", [template], {"active": False})


def test_orders_for_an_inactive_or_unsalable_product_wait_and_post_once_fixed(
    tryton: Any, oscar: Any, tmp_path: Path
) -> None:
    """Issue 14 item 6: say what is true, and retry what a person may fix."""
    admin = TrytonAdmin(tryton)
    asleep, (asleep_variant,) = admin.product("Asleep", "SKU-A", "3.00")
    closed, (closed_variant,) = admin.product("Closed", "SKU-C", "4.00")
    admin.set_stock({asleep_variant: 10, closed_variant: 10})
    fast_retries = """
        [daemon.retry]
        base = "1s"
        cap = { sale = "2s", manual = "2s", recent = "2s", ghost = "2s", full = "2s" }
        """
    config = write_config(tmp_path, tryton, oscar, fast_retries)
    d = daemon(config, tryton, oscar)
    run_until_idle(d)
    first = place_order(oscar, "a@example.com", [("SKU-A", 1)])["number"]
    second = place_order(oscar, "c@example.com", [("SKU-C", 1)])["number"]
    deactivate(admin, asleep)
    admin("product.template", "write", [closed], {"salable": False})

    def waiting() -> list[tuple[Any, ...]]:
        found = rows(config, "SELECT external_id, message FROM sync_errors WHERE flow = 'orders'")
        return found if len(found) == 2 else []

    with d.start() as running:
        errors = dict(wait_until(waiting, timeout=120, message="no order errors"))
        assert "inactive" in errors[first] and "not a Tryton product code" not in errors[first]
        assert "not salable" in errors[second]
        mails = rows(config, "SELECT kind, subject FROM notifications ORDER BY id")
        assert sorted(kind for kind, _ in mails) == ["order_waiting", "order_waiting"]
        assert rows(config, "SELECT id FROM jobs WHERE state = 'dead'") == []
        assert admin.sales() == []
        # A person puts both right in Tryton: the next retries post them.
        admin("product.template", "write", [asleep], {"active": True})
        admin("product.template", "write", [closed], {"salable": True})
        wait_until(lambda: len(admin.sales()) == 2, timeout=120, message="orders not posted")
        wait_until(
            lambda: rows(config, "SELECT 1 FROM sync_errors WHERE flow = 'orders'") == [],
            timeout=60,
            message="the order errors stay open",
        )
        running.stop(signal.SIGTERM)
    assert sorted(s["web_id"] for s in admin.sales()) == sorted([f"shop:{first}", f"shop:{second}"])
    assert {s["state"] for s in admin.sales()} == {"processing"}
    # One mail per order while it waited, however many times it was retried.
    assert len(rows(config, "SELECT 1 FROM notifications")) == 2


def test_a_deleted_draft_move_gives_the_stock_back_on_the_channel(
    tryton: Any, oscar: Any, tmp_path: Path
) -> None:
    """Issue 14 item 5: a deleted draft move leaves no modified row for the stock feed."""
    admin = TrytonAdmin(tryton)
    _, (widget,) = admin.product("Widget", "SKU-1", "10.00")
    admin.set_stock({widget: 10})
    # A short overlap, so the pulls stop re-reading Widget's older moves (which would
    # refresh its level by chance) before the draft move is deleted.
    config = write_config(tmp_path, tryton, oscar, overlap="1s")
    d = daemon(config, tryton, oscar)
    run_until_idle(d)
    assert available(oscar, "SKU-1") == 10
    with d.start() as running:
        (move,) = admin(
            "stock.move",
            "create",
            [
                {
                    "product": widget,
                    "unit": admin.unit,
                    "quantity": 3.0,
                    "from_location": admin.storage,
                    "to_location": admin.lost_found,
                    "company": admin.ids["company"],
                }
            ],
        )
        wait_until(lambda: available(oscar, "SKU-1") == 7, timeout=120, message="draft unseen")
        time.sleep(5)  # the draft move falls out of the pulls' overlap window
        admin("stock.move", "delete", [move])
        wait_until(lambda: available(oscar, "SKU-1") == 10, timeout=120, message="deletion unseen")
        running.stop(signal.SIGTERM)


def test_two_orders_of_one_new_customer_in_one_pull_make_one_party(
    tryton: Any, oscar: Any, tmp_path: Path
) -> None:
    """Three orders by one new buyer, their e-mails differing only in case, taken in one pull
    by two workers: Tryton gets one party for them, and every sale is hers."""
    admin = TrytonAdmin(tryton)
    _, (widget,) = admin.product("Widget", "SKU-1", "10.00")
    admin.set_stock({widget: 50})
    config = write_config(tmp_path, tryton, oscar)
    d = daemon(config, tryton, oscar)
    run_until_idle(d)
    addresses = ["New.Buyer@example.com", "new.buyer@example.com", "NEW.BUYER@EXAMPLE.COM"]
    numbers = [place_order(oscar, a, [("SKU-1", 1)])["number"] for a in addresses]
    run_until_idle(d)
    sales = admin.sales()
    assert sorted(s["web_id"] for s in sales) == sorted(f"shop:{n}" for n in numbers)
    parties = [
        p
        for p in admin("party.party", "search_read", [], 0, None, None, ["email"])
        if (p["email"] or "").lower() == "new.buyer@example.com"
    ]
    assert len(parties) == 1, parties
    assert {s["party"] for s in sales} == {parties[0]["id"]}
    assert problems(config) == []
