"""Snapshots of every TUI screen in fixed states (empty, busy, budget blocked, errors present,
disconnected). The data is canned and carries its own clock, so the pictures never change
unless the rendering does. Update with: scripts/test tests/tui/test_tui_snapshots.py
--snapshot-update (and look at the SVGs before committing them)."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from syncwright.daemon.control.protocol import (
    BudgetRow,
    ConnectionRow,
    EventMessage,
    ProgressRow,
    Snapshot,
    WindowRow,
)
from syncwright.tui.app import SyncwrightApp
from syncwright.tui.messages import EventArrived, LinkDown, LinkUp, SnapshotArrived

AT = 1_795_000_000.0  # every time on screen derives from this fixed instant
SIZE = (200, 32)


class CannedLink:
    """Fixed replies for the screens that ask the daemon (no daemon in a picture test)."""

    def __init__(self, results: dict[str, dict[str, Any]]) -> None:
        self.results = results

    async def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        return self.results[cmd]


def row(name: str, **changes: Any) -> ConnectionRow:
    base: dict[str, Any] = {
        "name": name,
        "source": "erp",
        "channel": "shop",
        "state": "running",
        "jobs": {},
        "running": 0,
        "oldest_ready_age": None,
        "last_full_sync": AT - 86_400 * 2,
        "last_partial_sync": AT - 45,
        "full_running": False,
        "open_errors": 0,
        "jobs_done": 0,
        "jobs_failed": 0,
        "restarts": 0,
    }
    return ConnectionRow.model_validate(base | changes)


def budgets(blocked: bool = False) -> list[BudgetRow]:
    return [
        BudgetRow(
            system="erp",
            blocked_until=None,
            block_reason=None,
            allowed_classes=[0, 1, 2, 3, 4],
            windows=[
                WindowRow(name="minute", used=220, limit=600, resets_at=AT + 12),
                WindowRow(name="day", used=61_000, limit=100_000, resets_at=AT + 17 * 3600),
            ],
        ),
        BudgetRow(
            system="shop",
            blocked_until=AT + 95 if blocked else None,
            block_reason="429 Too Many Requests, Retry-After 95" if blocked else None,
            allowed_classes=[] if blocked else [0, 1, 2, 3, 4],
            windows=[WindowRow(name="minute", used=38, limit=40, resets_at=AT + 30)],
        ),
    ]


def busy_rows() -> list[ConnectionRow]:
    return [
        row(
            "berlin-store",
            jobs={"ready": [0, 1, 12, 0, 340], "leased": [1, 0, 2, 0, 1], "dead": [0, 0, 2, 0, 0]},
            running=4,
            oldest_ready_age=125,
            full_running=True,
            open_errors=3,
            ghost_rotation=3 * 86_400 + 7200,
        ),
        row("munich-outlet", state="paused", pause_reason="paused by an operator"),
        row(
            "hamburg-b2b",
            state="auth_failed",
            pause_reason="authentication failed: shop: 401 Unauthorized",
            jobs={"retrying": [2, 0, 0, 0, 0]},
            full_running=True,
            last_full_sync=None,
        ),
        row("cologne-web", jobs={"scheduled": [0, 0, 2, 1, 0]}, last_full_sync=None),
    ]


def snap(rows: list[ConnectionRow], blocked: bool = False) -> Snapshot:
    return Snapshot(
        at=AT,
        daemon="0.1.0",
        pid=4242,
        started_at=AT - 3600,
        connections=rows,
        budgets=budgets(blocked) if rows else [],
    )


QUEUE = {
    "connection": "berlin-store",
    "at": AT,
    "jobs": {"ready": [0, 1, 12, 0, 340], "leased": [1, 0, 2, 0, 1], "dead": [0, 0, 2, 0, 0]},
    "oldest_ready_age": [None, 3, 125, None, 4000],
    "executing": [
        {
            "id": 901,
            "kind": "full",
            "cls": 4,
            "view": "leased",
            "flow": "products",
            "run_at": AT - 5,
            "enqueued_at": AT - 60,
            "attempts": 1,
            "last_error": None,
            "progress": {"page": 7},
        }
    ],
    "retrying": [
        {
            "id": 877,
            "kind": "pull",
            "cls": 2,
            "view": "retrying",
            "flow": "stock",
            "run_at": AT + 240,
            "enqueued_at": AT - 900,
            "attempts": 3,
            "last_error": "shop answered 503 Service Unavailable",
        }
    ],
    "dead": [
        {
            "id": 812,
            "kind": "sync_item",
            "cls": 1,
            "view": "dead",
            "flow": "products",
            "run_at": AT - 4000,
            "enqueued_at": AT - 4100,
            "attempts": 1,
            "last_error": "item sync: the back office has no product with id or SKU 'X-99'",
            "finished_at": AT - 3990,
        },
        {
            "id": 640,
            "kind": "post_order",
            "cls": 0,
            "view": "dead",
            "flow": "orders",
            "run_at": AT - 9000,
            "enqueued_at": AT - 9500,
            "attempts": 9,
            "last_error": "ERP refused the order: customer group missing",
            "finished_at": AT - 8000,
        },
    ],
    "recent": [
        {
            "id": 900,
            "kind": "pull",
            "cls": 2,
            "view": "done",
            "flow": "stock",
            "run_at": AT - 40,
            "enqueued_at": AT - 41,
            "attempts": 1,
            "last_error": None,
            "finished_at": AT - 38,
        }
    ],
    "cursors": [
        {
            "flow": "products",
            "value": "2026-11-18T06:10:00Z",
            "in_pass": False,
            "pass_high": None,
            "updated_at": AT - 200,
        },
        {
            "flow": "stock",
            "value": "48121",
            "in_pass": True,
            "pass_high": "48190",
            "updated_at": AT - 20,
        },
    ],
}

ERRORS = {
    "total": 3,
    "offset": 0,
    "limit": 200,
    "rows": [
        {
            "connection": "berlin-store",
            "flow": "products",
            "external_id": "P-1001",
            "message": "shop refused the product: price must be positive",
            "first_seen": AT - 7200,
            "last_seen": AT - 60,
        },
        {
            "connection": "berlin-store",
            "flow": "stock",
            "external_id": "SKU-77",
            "message": "unknown stock location 'annex'",
            "first_seen": AT - 7200,
            "last_seen": AT - 600,
        },
        {
            "connection": "berlin-store",
            "flow": "customers",
            "external_id": "C-5",
            "message": (
                "customer C-5 matches shop customer sc_1 (jane@example.com), which is already "
                "linked to customer C-4; two back-office customers share it. Give one of them "
                "another e-mail address in the back office; the next pass links the other."
            ),
            "links": [{"entity": "customer", "source_id": "C-5", "channel_id": "sc_9"}],
            "link_choice": {"back_office_ids": ["C-5", "C-4"], "channel_id": "sc_1"},
            "first_seen": AT - 9000,
            "last_seen": AT - 900,
        },
    ],
}

BUDGETS = {
    "budgets": [
        {
            "system": "erp",
            "blocked_until": None,
            "block_reason": None,
            "last_headers": {"x-ratelimit-remaining": "380"},
            "allowed_classes": [0, 1, 2, 3, 4],
            "connections": ["berlin-store"],
            "windows": [
                {
                    "name": "minute",
                    "used": 220,
                    "limit": 600,
                    "resets_at": AT + 12,
                    "mode": "rolling",
                    "timezone": "UTC",
                    "remaining": 380,
                    "reserve": {
                        "sale": 0,
                        "manual": 0.05,
                        "recent": 0.15,
                        "ghost": 0.3,
                        "full": 0.3,
                    },
                    "runs_out_at": None,
                },
                {
                    "name": "day",
                    "used": 61_000,
                    "limit": 100_000,
                    "resets_at": AT + 17 * 3600,
                    "mode": "calendar",
                    "timezone": "Europe/Berlin",
                    "remaining": 39_000,
                    "reserve": {
                        "sale": 0,
                        "manual": 0.05,
                        "recent": 0.15,
                        "ghost": 0.3,
                        "full": 0.3,
                    },
                    "runs_out_at": AT + 5 * 3600,
                },
            ],
        },
        {
            "system": "shop",
            "blocked_until": AT + 95,
            "block_reason": "429 Too Many Requests, Retry-After 95",
            "last_headers": {"retry-after": "95"},
            "allowed_classes": [],
            "connections": ["berlin-store"],
            "windows": [
                {
                    "name": "minute",
                    "used": 38,
                    "limit": 40,
                    "resets_at": AT + 30,
                    "mode": "rolling",
                    "timezone": "UTC",
                    "remaining": 2,
                    "reserve": {
                        "sale": 0,
                        "manual": 0.05,
                        "recent": 0.15,
                        "ghost": 0.3,
                        "full": 0.3,
                    },
                    "runs_out_at": AT + 10,
                }
            ],
        },
    ],
    "plan": {
        "taken_at": "2026-11-26T12:00:00Z",
        "fits": False,
        "systems": [
            {
                "system": "erp",
                "calls_last_hour": 13_200,
                "calls_last_day": 61_000,
                "rate_limited_last_day": 0,
                "capacity_per_day": 100_000,
                "scheduled_per_day": 2_880,
                "windows": [],
                "costs": [],
                "warnings": [],
            },
            {
                "system": "shop",
                "calls_last_hour": 2_280,
                "calls_last_day": 9_400,
                "rate_limited_last_day": 3,
                "capacity_per_day": 57_600,
                "scheduled_per_day": 86_400,
                "windows": [],
                "costs": [],
                "warnings": ["shop: the recent schedules need 60 calls per minute of 40"],
            },
        ],
    },
}


def _flow(flow: str, **lists: Any) -> dict[str, Any]:
    names = (
        "creates updates discontinues stock customers_created customers_linked errors"
        " orders_post orders_amend orders_skipped"
    ).split()
    out: dict[str, Any] = {"flow": flow, "mode": "cursor", "pages": 1, "items_read": 3}
    out |= {"complete": True, "parked": 0}
    for name in names:
        out[name] = lists.get(name, [])
        out[name + "_count"] = len(out[name])
    return out


PLAN: dict[str, Any] = {
    "connection": "berlin-store",
    "flows": [
        _flow(
            "products",
            creates=[{"item": "41", "title": "Linen shirt"}],
            updates=[{"item": "3", "fields": ["title", "variants[SKU-3].price"]}],
        ),
        _flow("stock", stock=[{"sku": "SKU-3", "location": "central", "from": 4, "to": 9}]),
        _flow("orders", orders_post=["1007"]),
    ],
    "calls_read": {"erp": 3, "shop": 2},
    "calls_write": {"erp": 2, "shop": 2},
    "writes_note": "one call per write request",
    "message": "",
}


ITEM: dict[str, Any] = {
    "connection": "berlin-store",
    "query": "SKU-3",
    "found": True,
    "product": {"source_id": "3", "channel_id": "gid://shop/Product/8803"},
    "variants": [{"sku": "SKU-3", "channel_id": "gid://shop/Product/8803:41"}],
    "state": {
        "hash": "9f2c41d07a5be3e1c0",
        "token": "2026-11-18T06:10:00Z",
        "written_at": AT - 3600,
        "last_verified_at": AT - 600,
        "last_error": None,
        "seen_at": AT - 120,
        "seen_token": "2026-11-18T06:10:00Z",
    },
    "stock": [
        {
            "sku": "SKU-3",
            "location": "central",
            "quantity": 9,
            "pending": None,
            "pushed_at": AT - 60,
        },
        {"sku": "SKU-3", "location": "annex", "quantity": None, "pending": 4, "pushed_at": None},
    ],
    "errors": [
        {
            "flow": "stock",
            "external_id": "SKU-3",
            "message": "unknown stock location 'annex'",
            "first_seen": AT - 7200,
            "last_seen": AT - 600,
        }
    ],
    "jobs": [
        {
            "id": 905,
            "kind": "sync_item",
            "cls": 1,
            "state": "done",
            "enqueued_at": AT - 62,
            "finished_at": AT - 60,
            "attempts": 1,
            "last_error": None,
        },
        {
            "id": 870,
            "kind": "push_stock",
            "cls": 2,
            "state": "dead",
            "enqueued_at": AT - 7300,
            "finished_at": AT - 7200,
            "attempts": 1,
            "last_error": "unknown stock location 'annex'",
        },
    ],
}


def app_in(state: Snapshot | None, *, down: str | None = None) -> SyncwrightApp:
    app = SyncwrightApp(None)
    app.link = CannedLink(
        {"queue": QUEUE, "errors": ERRORS, "budgets": BUDGETS, "plan": PLAN, "item": ITEM}
    )

    async def prepare(pilot: Pilot[None]) -> None:
        app.post_message(LinkUp("0.1.0", 4242))
        if state is not None:
            app.post_message(SnapshotArrived(state))
        await pilot.pause()
        if down is not None:  # the daemon went away after that snapshot
            app.post_message(LinkDown(down))
            await pilot.pause()

    app.prepare = prepare  # type: ignore[attr-defined]
    return app


def compare(
    snap_compare: Any, app: SyncwrightApp, *press: str, size: tuple[int, int] = SIZE
) -> bool:
    async def before(pilot: Pilot[None]) -> None:
        await app.prepare(pilot)  # type: ignore[attr-defined]
        for key in press:
            await pilot.press(key)
        await pilot.pause(0.3)

    return bool(snap_compare(app, terminal_size=size, run_before=before))


def test_overview_empty(snap_compare: Any) -> None:
    assert compare(snap_compare, app_in(snap([])))


def test_overview_busy(snap_compare: Any) -> None:
    assert compare(snap_compare, app_in(snap(busy_rows())))


def test_overview_budget_blocked(snap_compare: Any) -> None:
    assert compare(snap_compare, app_in(snap(busy_rows(), blocked=True)))


def test_overview_disconnected(snap_compare: Any) -> None:
    reason = "the daemon is not running (no socket at /run/syncwright/control.sock)"
    assert compare(snap_compare, app_in(snap(busy_rows()), down=reason))


def test_overview_80x24_shows_what_holds_each_connection_back(snap_compare: Any) -> None:
    # A standard terminal: state, what holds it back, errors and dead jobs fit; the footer too.
    assert compare(snap_compare, app_in(snap(busy_rows(), blocked=True)), size=(80, 24))


def test_overview_160x48(snap_compare: Any) -> None:
    assert compare(snap_compare, app_in(snap(busy_rows())), size=(160, 48))


def test_overview_disconnected_80x24_is_stale(snap_compare: Any) -> None:
    reason = "the daemon is not running (no socket at /run/syncwright/control.sock)"
    assert compare(snap_compare, app_in(snap(busy_rows()), down=reason), size=(80, 24))


def test_overview_shows_a_rejected_config_reload_and_unfit_schedules(
    snap_compare: Any,
) -> None:
    state = snap(busy_rows()).model_copy(
        update={
            "plan_warnings": ["shop: the recent schedules need 60 calls per minute of 40"],
            "reload_rejected_at": AT - 30,
            "reload_rejected": "/etc/syncwright/config.toml: daemon.retry.frobnicate: unknown key",
        }
    )
    assert compare(snap_compare, app_in(state), size=(80, 24))


def test_connection_screen(snap_compare: Any) -> None:
    assert compare(snap_compare, app_in(snap(busy_rows())), "enter")


def test_connection_screen_with_a_full_sync_in_progress(snap_compare: Any) -> None:
    rows = busy_rows()
    progress = {
        "kind": "full",
        "run": 3,
        "flows": ["products", "stock"],
        "started_at": AT - 240,
        "items_done": 1200,
        "pages_done": 12,
        "items_total": 5000,
        "total_from": "last full sync",
        "rate_per_minute": 300.0,
        "budget_calls_per_minute": 42.0,
        "eta_seconds": 760.0,
    }
    rows[0] = rows[0].model_copy(update={"progress": ProgressRow.model_validate(progress)})
    assert compare(snap_compare, app_in(snap(rows)), "enter")


def test_plan_screen(snap_compare: Any) -> None:
    assert compare(snap_compare, app_in(snap(busy_rows())), "enter", "d")


def live_events() -> list[EventMessage]:
    name = "berlin-store"
    return [
        EventMessage(event="job.done", at=AT - 9, connection=name, job=41, kind="pull", cls=2),
        EventMessage(
            event="job.failed",
            at=AT - 8,
            connection=name,
            job=42,
            kind="sync_item",
            cls=1,
            flow="products",
            detail="item sync: the back office has no product with id or SKU 'X-1'",
            action="dead",
        ),
        EventMessage(
            event="error.added",
            at=AT - 6,
            connection=name,
            flow="products",
            item="1042",
            detail="product 1042 has no SKU",
        ),
        EventMessage(event="error.resolved", at=AT - 4, connection=name, flow="products", item="7"),
        EventMessage(event="job.done", at=AT - 2, connection=name, count=980, summary=True),
        EventMessage(event="job.done", at=AT - 1, connection="other-shop", job=9, kind="pull"),
    ]


def test_connection_screen_with_live_events(snap_compare: Any) -> None:
    app = app_in(snap(busy_rows()))
    prepare = app.prepare  # type: ignore[attr-defined]

    async def with_events(pilot: Pilot[None]) -> None:
        await prepare(pilot)
        for event in live_events():
            app.post_message(EventArrived(event))
        await pilot.pause()

    app.prepare = with_events  # type: ignore[attr-defined]
    assert compare(snap_compare, app, "enter")


def test_errors_screen_with_errors(snap_compare: Any) -> None:
    assert compare(snap_compare, app_in(snap(busy_rows())), "e")


def test_dead_jobs_screen(snap_compare: Any) -> None:
    assert compare(snap_compare, app_in(snap(busy_rows())), "r")


def test_budgets_screen_blocked(snap_compare: Any) -> None:
    assert compare(snap_compare, app_in(snap(busy_rows(), blocked=True)), "b")


def test_full_resync_confirmation(snap_compare: Any) -> None:
    assert compare(snap_compare, app_in(snap(busy_rows())), "F")


def test_help(snap_compare: Any) -> None:
    assert compare(snap_compare, app_in(snap([])), "question_mark")


def test_help_80x24_wraps_under_the_text(snap_compare: Any) -> None:
    assert compare(snap_compare, app_in(snap([])), "question_mark", size=(80, 24))


def test_error_detail_80x24_shows_the_whole_message(snap_compare: Any) -> None:
    # The customer ambiguity, whose explanation is at the end: whole, with its links.
    app = app_in(snap(busy_rows()))
    assert compare(snap_compare, app, "e", "down", "down", "enter", size=(80, 24))


def test_error_detail_of_a_product_offers_sync_this_item(snap_compare: Any) -> None:
    assert compare(snap_compare, app_in(snap(busy_rows())), "e", "enter", size=(80, 24))


def test_item_health_screen(snap_compare: Any) -> None:
    keys = ("enter", "i", *"SKU-3", "enter")
    assert compare(snap_compare, app_in(snap(busy_rows())), *keys, size=(120, 32))


def test_link_a_customer_by_hand_from_an_ambiguity(snap_compare: Any) -> None:
    app = app_in(snap(busy_rows()))
    assert compare(snap_compare, app, "e", "down", "down", "enter", "l", size=(80, 24))


def test_connection_screen_with_a_first_pass_and_a_backlog(snap_compare: Any) -> None:
    from test_tui_progress import BACKLOG, FIRST_PASS

    rows = busy_rows()
    rows[0] = rows[0].model_copy(update={"work": [FIRST_PASS, BACKLOG], "full_running": False})
    assert compare(snap_compare, app_in(snap(rows)), "enter")


def test_overview_80x24_names_a_backlog_and_its_time_left(snap_compare: Any) -> None:
    from test_tui_progress import BACKLOG

    rows = busy_rows()
    rows[0] = rows[0].model_copy(update={"work": [BACKLOG], "full_running": False})
    assert compare(snap_compare, app_in(snap(rows)), size=(80, 24))
