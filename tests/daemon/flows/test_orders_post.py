"""The post_order job against in-memory fakes: at most one create per order (a duplicate
refusal links the existing order, two jobs for one order never overlap), and a dead job's
sync-log error and notification."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import aiosqlite
import anyio

from syncwright.connectors.base import AlreadyPosted, Capabilities
from syncwright.connectors.errors import PermanentError, TransientError
from syncwright.connectors.model import Customer, Order, OrderLine, Product, Shipment, Variant
from syncwright.daemon.clock import FakeClock
from syncwright.daemon.flows import FAILURE_HOOKS, HANDLERS
from syncwright.daemon.flows.context import FlowContext, FlowSettings
from syncwright.daemon.flows.orders import post_order_spec
from syncwright.daemon.jobs.job import Job
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.jobs.retry import RetryDecision
from syncwright.daemon.store.db import StateConnection, Store, connect_sync, open_migrated

ORDER = Order(
    external_id="so_1",
    customer=Customer(external_id="sc_1", email="ada@example.com"),
    lines=(OrderLine(sku="A-1", quantity=2, unit_price=Decimal("3.50"), title="Apple"),),
    currency="EUR",
    total=Decimal("7.00"),
)


class FakeShop:
    kind = "fake-shop"
    capabilities = Capabilities(cursor="none", order_cursor="time")

    def __init__(self, order: Order) -> None:
        self.order = order

    async def aclose(self) -> None: ...
    async def upsert_products(self, products: Any) -> Any: ...
    async def set_stock(self, levels: Any) -> Any: ...
    async def read_products(self, ids: Any) -> Any: ...
    async def read_stock(self, skus: Any) -> Any: ...
    async def changed_orders(self, query: Any) -> Any: ...
    async def list_orders(self, query: Any) -> Any: ...

    async def get_order(self, external_id: str) -> Order | None:
        return self.order if external_id == self.order.external_id else None


class FakeErp:
    """A back office whose order look-up can lag behind its unique key (a replica)."""

    kind = "fake-erp"
    capabilities = Capabilities(cursor="time")

    def __init__(self, *, lookup_lags: bool = False, slow: float = 0.0) -> None:
        self.orders: dict[str, str] = {}  # channel_ref -> id
        self.creates: list[str] = []
        self.finds = 0
        self.amends: list[str] = []
        self.shipments: list[tuple[str, str]] = []
        self.lookup_lags = lookup_lags
        self.slow = slow

    async def aclose(self) -> None: ...
    async def changed_products(self, query: Any) -> Any: ...
    async def changed_stock(self, query: Any) -> Any: ...
    async def list_products(self, query: Any) -> Any: ...
    async def list_stock(self, query: Any) -> Any: ...
    async def get_stock(self, skus: Any) -> Any: ...

    async def get_product(self, id_or_sku: str) -> Product | None:
        variant = Variant(external_id="1", sku=id_or_sku)
        return Product(external_id="1", title="x", handle="x", variants=(variant,))

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        return [Customer(external_id="12", email=email)]

    async def create_customer(self, customer: Customer) -> str:
        raise AssertionError("the customer exists")

    async def find_order(self, channel_ref: str) -> str | None:
        self.finds += 1
        return None if self.lookup_lags else self.orders.get(channel_ref)

    async def create_order(self, order: Order, *, customer_id: str, channel_ref: str) -> str:
        await anyio.sleep(self.slow)
        if channel_ref in self.orders:
            raise AlreadyPosted(channel_ref, self.orders[channel_ref])
        self.creates.append(channel_ref)
        self.orders[channel_ref] = str(100 + len(self.orders))
        return self.orders[channel_ref]

    async def amend_order(self, order_id: str, order: Order) -> None:
        self.amends.append(order_id)

    async def add_shipment(self, order_id: str, shipment: Shipment) -> None:
        self.shipments.append((order_id, shipment.external_id))

    async def create_product(self, product: Product) -> str:
        raise AssertionError("every product exists")


Body = Callable[[FlowContext, Callable[[], Awaitable[None]]], Awaitable[None]]


def run(tmp_path: Path, erp: FakeErp, shop: FakeShop, body: Body) -> None:
    async def main() -> None:
        store = await Store.open(tmp_path / "state.db")
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                clock = FakeClock()
                queue = Queue(store, clock)
                settings = FlowSettings(channel_name="shop")
                ctx = FlowContext("demo", settings, erp, shop, store, queue, clock)  # type: ignore[arg-type]

                async def post() -> None:
                    await queue.enqueue("demo", post_order_spec("so_1"))
                    (job,) = await queue.lease("demo", "test", [0], 1)
                    await finish(ctx, job)

                await body(ctx, post)
                tg.cancel_scope.cancel()
        finally:
            await store.aclose()

    anyio.run(main)


async def finish(ctx: FlowContext, job: Job) -> None:
    commit = await HANDLERS["post_order"](ctx, job)

    def done(conn: sqlite3.Connection) -> None:
        if commit is not None:
            commit(conn)
        ctx.queue.complete_in(conn, job)

    await ctx.store.write(done)


async def links(ctx: FlowContext, entity: str) -> list[tuple[str, str]]:
    rows = await ctx.store.fetchall(
        "SELECT source_id, channel_id FROM links WHERE entity = ? ORDER BY 1", (entity,)
    )
    return [(r[0], r[1]) for r in rows]


def test_a_duplicate_refusal_links_the_order_the_back_office_has(tmp_path: Path) -> None:
    erp = FakeErp(lookup_lags=True)
    erp.orders["shop:so_1"] = "77"  # posted before our link was committed; lookup misses it

    async def body(ctx: FlowContext, post: Callable[[], Awaitable[None]]) -> None:
        await post()
        assert await links(ctx, "order") == [("77", "so_1")]
        assert await links(ctx, "customer") == [("12", "sc_1")]
        await post()  # linked now: no look-up, no create

    run(tmp_path, erp, FakeShop(ORDER), body)
    assert erp.creates == [] and erp.finds == 1
    # What the back office holds is unknown, so it is amended once to the channel's version.
    assert erp.amends == ["77"]


def test_a_found_order_is_linked_not_created(tmp_path: Path) -> None:
    erp = FakeErp()
    erp.orders["shop:so_1"] = "55"

    async def body(ctx: FlowContext, post: Callable[[], Awaitable[None]]) -> None:
        await post()
        assert await links(ctx, "order") == [("55", "so_1")]

    run(tmp_path, erp, FakeShop(ORDER), body)
    assert erp.creates == []


def test_two_jobs_for_one_order_never_overlap(tmp_path: Path) -> None:
    erp = FakeErp(lookup_lags=True, slow=0.05)
    shipped = ORDER.model_copy(update={"shipments": (Shipment(external_id="sf_1"),)})

    async def body(ctx: FlowContext, post: Callable[[], Awaitable[None]]) -> None:
        # A twin: enqueued while the first job is leased (the queue then keeps both).
        await ctx.queue.enqueue("demo", post_order_spec("so_1"))
        (first,) = await ctx.queue.lease("demo", "a", [0], 1)
        await ctx.queue.enqueue("demo", post_order_spec("so_1"))
        (second,) = await ctx.queue.lease("demo", "b", [0], 1)
        async with anyio.create_task_group() as tg:
            tg.start_soon(finish, ctx, first)
            tg.start_soon(finish, ctx, second)

    run(tmp_path, erp, FakeShop(shipped), body)
    assert erp.creates == ["shop:so_1"] and erp.finds == 1
    assert erp.shipments == [("100", "sf_1")]
    assert erp.amends == []


def test_a_dead_order_job_leaves_a_sync_log_error_and_a_notification(tmp_path: Path) -> None:
    async def body(ctx: FlowContext, post: Callable[[], Awaitable[None]]) -> None:
        await ctx.queue.enqueue("demo", post_order_spec("so_9"))
        (job,) = await ctx.queue.lease("demo", "t", [0], 1)
        hook = FAILURE_HOOKS["post_order"]
        retry = RetryDecision("retry", ctx.now() + 60, "transient error on attempt 1")
        assert hook(job, retry, "transient", "timeout", ctx.now()) is None
        dead = RetryDecision("dead", None, "gave up after 2d")
        also = hook(job, dead, "transient", "HTTP 503 from erp", ctx.now())
        assert await ctx.queue.fail(job, dead, "transient", "HTTP 503 from erp", also=also)
        (error,) = await ctx.store.fetchall("SELECT flow, external_id, message FROM sync_errors")
        assert tuple(error) == ("orders", "so_9", "order so_9 was not posted: HTTP 503 from erp")
        (note,) = await ctx.store.fetchall("SELECT kind, subject, body, sent_at FROM notifications")
        assert note["kind"] == "order_failed" and note["sent_at"] is None
        assert "gave up after 2d" in note["body"] and f"#{job.id}" in note["body"]

    run(tmp_path, FakeErp(), FakeShop(ORDER), body)


class SyncRecorder(StateConnection):
    """Records, at each COMMIT, the connection's synchronous level and the link entities the
    transaction wrote."""

    commits: ClassVar[list[tuple[int, frozenset[str]]]] = []

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        entities: set[str] = self.__dict__.setdefault("entities", set())
        if sql.startswith("INSERT OR IGNORE INTO links"):
            entities.add(args[0][1])
        if sql == "COMMIT":
            (level,) = super().execute("PRAGMA synchronous").fetchone()
            SyncRecorder.commits.append((level, frozenset(entities)))
            entities.clear()
        return super().execute(sql, *args)


def test_the_links_of_remote_creates_are_synced_to_disk(tmp_path: Path) -> None:
    """Order, shipment and customer links survive a power loss (synchronous=FULL at their
    COMMIT); every other commit keeps the cheaper NORMAL."""
    path = tmp_path / "state.db"
    open_migrated(path).close()
    SyncRecorder.commits = []
    erp = FakeErp()
    erp.find_customers = _no_customer  # type: ignore[method-assign]
    erp.create_customer = _create_customer  # type: ignore[method-assign]
    shipped = ORDER.model_copy(update={"shipments": (Shipment(external_id="sf_1"),)})

    async def main() -> None:
        reader = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True)
        store = Store(path, connect_sync(path, factory=SyncRecorder), reader)
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                clock = FakeClock()
                queue = Queue(store, clock)
                settings = FlowSettings(channel_name="shop")
                ctx = FlowContext("demo", settings, erp, FakeShop(shipped), store, queue, clock)  # type: ignore[arg-type]
                await queue.enqueue("demo", post_order_spec("so_1"))
                (job,) = await queue.lease("demo", "test", [0], 1)
                await finish(ctx, job)
                tg.cancel_scope.cancel()
        finally:
            await store.aclose()

    anyio.run(main)
    assert erp.creates == ["shop:so_1"] and erp.shipments == [("100", "sf_1")]
    linked = {e: level for level, entities in SyncRecorder.commits for e in entities}
    assert linked == {"customer": 2, "order": 2, "shipment": 2}
    assert {level for level, entities in SyncRecorder.commits if not entities} == {1}


async def _no_customer(*, email: str | None, account_id: str | None) -> list[Customer]:
    return []


async def _create_customer(customer: Customer) -> str:
    return "12"


class WorkflowErp(FakeErp):
    """A back office whose orders go draft -> quotation -> confirmed -> processing (like
    Tryton), that holds shipments by the channel's id, and may refuse shipments."""

    NEXT: ClassVar[dict[str, tuple[str, str]]] = {
        "draft": ("quote", "quotation"),
        "quotation": ("confirm", "confirmed"),
        "confirmed": ("process", "processing"),
    }

    def __init__(self, *, refuse_shipments: bool = False, fail_step: str | None = None) -> None:
        super().__init__()
        self.states: dict[str, str] = {}
        self.steps: list[str] = []
        self.refuse_shipments = refuse_shipments
        self.fail_step = fail_step

    async def create_order(self, order: Order, *, customer_id: str, channel_ref: str) -> str:
        order_id = await super().create_order(
            order, customer_id=customer_id, channel_ref=channel_ref
        )
        self.states[order_id] = "draft"
        return order_id

    async def advance_order(self, order_id: str) -> str | None:
        nxt = self.NEXT.get(self.states[order_id])
        if nxt is None:
            return None
        if nxt[0] == self.fail_step:
            self.fail_step = None  # fails once, like a crash in that step
            raise TransientError("the back office went away")
        self.steps.append(nxt[0])
        self.states[order_id] = nxt[1]
        return nxt[0]

    async def has_shipment(self, order_id: str, shipment_id: str) -> bool:
        return (order_id, shipment_id) in self.shipments

    async def add_shipment(self, order_id: str, shipment: Shipment) -> None:
        if self.refuse_shipments:
            raise PermanentError("shipments are not recorded here")
        await super().add_shipment(order_id, shipment)


def test_a_sale_left_half_way_resumes_from_the_state_the_back_office_holds(
    tmp_path: Path,
) -> None:
    """Created but never quoted (a crash after the create): the next post finds it and takes
    it through every step left; one that stopped after confirming is only processed."""
    erp = WorkflowErp()
    erp.orders["shop:so_1"] = "55"
    erp.states["55"] = "draft"

    async def body(ctx: FlowContext, post: Callable[[], Awaitable[None]]) -> None:
        await post()
        assert await links(ctx, "order") == [("55", "so_1")]

    run(tmp_path, erp, FakeShop(ORDER), body)
    assert erp.creates == [] and erp.steps == ["quote", "confirm", "process"]
    assert erp.states["55"] == "processing"


def test_a_linked_order_whose_workflow_failed_is_finished_by_the_next_post(
    tmp_path: Path,
) -> None:
    erp = WorkflowErp(fail_step="process")

    async def body(ctx: FlowContext, post: Callable[[], Awaitable[None]]) -> None:
        try:
            await post()
        except TransientError:
            pass
        else:
            raise AssertionError("the step was meant to fail")
        assert erp.states["100"] == "confirmed"
        assert await links(ctx, "order") == [("100", "so_1")]
        await ctx.store.write(lambda conn: conn.execute("DELETE FROM jobs"))
        await post()  # linked now: no look-up, no create; the workflow resumes

    run(tmp_path, erp, FakeShop(ORDER), body)
    assert erp.creates == ["shop:so_1"] and erp.finds == 1
    assert erp.steps == ["quote", "confirm", "process"] and erp.states["100"] == "processing"


def test_a_refused_shipment_is_a_shipment_error_of_the_posted_order(tmp_path: Path) -> None:
    """Not an unposted order: the job finishes, the order stays linked, the sync log and the
    mail name the shipment of a posted order."""
    erp = WorkflowErp(refuse_shipments=True)
    shipped = ORDER.model_copy(update={"shipments": (Shipment(external_id="sf_1"),)})

    async def body(ctx: FlowContext, post: Callable[[], Awaitable[None]]) -> None:
        await post()
        assert await links(ctx, "order") == [("100", "so_1")]
        assert await links(ctx, "shipment") == []
        errors = await ctx.store.fetchall("SELECT flow, external_id, message FROM sync_errors")
        assert [(e[0], e[1]) for e in errors] == [("orders", "so_1/sf_1")]
        assert "is posted (back-office id 100)" in errors[0][2]
        assert "shipment sf_1 was not added" in errors[0][2]
        notes = await ctx.store.fetchall("SELECT kind, subject FROM notifications")
        assert [n[0] for n in notes] == ["shipment_failed"]
        assert all("was not posted" not in n[1] for n in notes)
        (job,) = await ctx.store.fetchall("SELECT state FROM jobs")
        assert job[0] == "done"
        await post()  # the same refusal again: no second mail
        notes = await ctx.store.fetchall("SELECT kind FROM notifications")
        assert len(notes) == 1
        erp.refuse_shipments = False
        await post()  # accepted now: linked, the error resolved
        assert await links(ctx, "shipment") == [("100/sf_1", "so_1/sf_1")]
        assert await ctx.store.fetchall("SELECT * FROM sync_errors") == []

    run(tmp_path, erp, FakeShop(shipped), body)
    assert erp.shipments == [("100", "sf_1")]


def test_a_shipment_the_back_office_holds_is_linked_not_added_again(tmp_path: Path) -> None:
    """Added before a crash lost its link: the look-up finds it, so it is added at most once."""
    erp = WorkflowErp()
    erp.orders["shop:so_1"] = "55"
    erp.states["55"] = "processing"
    erp.shipments.append(("55", "sf_1"))
    shipped = ORDER.model_copy(update={"shipments": (Shipment(external_id="sf_1"),)})

    async def body(ctx: FlowContext, post: Callable[[], Awaitable[None]]) -> None:
        await post()
        assert await links(ctx, "shipment") == [("55/sf_1", "so_1/sf_1")]

    run(tmp_path, erp, FakeShop(shipped), body)
    assert erp.shipments == [("55", "sf_1")]


def test_a_dead_job_of_a_posted_order_does_not_say_it_was_not_posted(tmp_path: Path) -> None:
    async def body(ctx: FlowContext, post: Callable[[], Awaitable[None]]) -> None:
        now = ctx.now()
        await ctx.store.write(
            lambda conn: conn.execute(
                "INSERT INTO links (connection, entity, source_id, channel_id, created_at)"
                " VALUES ('demo', 'order', '77', 'so_9', ?)",
                (now,),
            )
        )
        await ctx.queue.enqueue("demo", post_order_spec("so_9"))
        (job,) = await ctx.queue.lease("demo", "t", [0], 1)
        dead = RetryDecision("dead", None, "gave up after 2d")
        also = FAILURE_HOOKS["post_order"](job, dead, "permanent", "sale 77 is done", now)
        assert await ctx.queue.fail(job, dead, "permanent", "sale 77 is done", also=also)
        (error,) = await ctx.store.fetchall("SELECT message FROM sync_errors")
        assert error[0].startswith("order so_9 is posted (back-office id 77)")
        (note,) = await ctx.store.fetchall("SELECT subject, body FROM notifications")
        assert "not posted" not in note[0] and "did not take" not in note[1]

    run(tmp_path, FakeErp(), FakeShop(ORDER), body)


class OrdersShop(FakeShop):
    def __init__(self, *orders: Order) -> None:
        super().__init__(orders[0])
        self.orders = {order.external_id: order for order in orders}

    async def get_order(self, external_id: str) -> Order | None:
        return self.orders.get(external_id)


class NewCustomerErp(FakeErp):
    """No customer yet; e-mail look-ups ignore case; a create takes a while (the window in
    which a second order of the same new customer used to look up and create it too)."""

    def __init__(self) -> None:
        super().__init__()
        self.customers: dict[str, str] = {}  # id -> e-mail

    async def find_customers(self, *, email: str | None, account_id: str | None) -> list[Customer]:
        wanted = (email or "").lower()
        return [
            Customer(external_id=cid, email=mail)
            for cid, mail in self.customers.items()
            if mail.lower() == wanted
        ]

    async def create_customer(self, customer: Customer) -> str:
        await anyio.sleep(0.05)
        cid = str(500 + len(self.customers))
        self.customers[cid] = customer.email or ""
        return cid


def test_two_orders_of_one_new_customer_create_it_once(tmp_path: Path) -> None:
    """Their e-mails differ in case only, and both jobs run at once (one pull, two workers)."""
    erp = NewCustomerErp()
    first = ORDER.model_copy(
        update={"customer": Customer(external_id="sc_1", email="Ada.Lovelace@Example.com")}
    )
    second = ORDER.model_copy(
        update={
            "external_id": "so_2",
            "customer": Customer(external_id="sc_2", email="ada.lovelace@example.com "),
        }
    )

    async def body(ctx: FlowContext, post: Callable[[], Awaitable[None]]) -> None:
        for order_id in ("so_1", "so_2"):
            await ctx.queue.enqueue("demo", post_order_spec(order_id))
        jobs = await ctx.queue.lease("demo", "t", [0], 2)
        assert len(jobs) == 2
        async with anyio.create_task_group() as tg:
            for job in jobs:
                tg.start_soon(finish, ctx, job)
        assert ctx.memory.customer_locks == {}  # idle locks are dropped

    run(tmp_path, erp, OrdersShop(first, second), body)
    assert list(erp.customers) == ["500"]
    assert sorted(erp.creates) == ["shop:so_1", "shop:so_2"]
