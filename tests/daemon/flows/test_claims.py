"""What a job claims while it runs (flows.claims) and its SQL form (flows.claimed_sql) agree,
and a pull of new orders is the one kind of job that calls the channel alone."""

from __future__ import annotations

import itertools
import json
import sqlite3

from syncwright.daemon import flows
from syncwright.daemon.flows.manual import sync_now_specs
from syncwright.daemon.flows.pull import PULLS, pull_spec

JOBS = [
    ("pull", {"flow": "products"}),
    ("pull", {"flow": "stock"}),
    ("pull", {"flow": "orders"}),
    ("pull", {"flow": "customers"}),
    ("full", {"flow": "products", "run": 1}),
    ("full", {"flow": "stock", "run": 1}),
    ("audit_gone", {"flow": "products"}),
    ("stock_waiting", {}),
    ("deletions", {}),
    ("sync_item", {"flow": "products", "id_or_sku": "A"}),
    ("event", {"id": 3}),
    ("ghost", {"batch": 10}),
    ("post_order", {"flow": "orders", "order": "o1"}),
    ("post_order", {"flow": "orders", "order": "o2"}),
    ("connect", {}),
    ("settings_sync", {}),
]


def test_the_sql_form_leaves_out_exactly_the_jobs_whose_claims_are_busy() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, kind TEXT, payload TEXT)")
    conn.executemany(
        "INSERT INTO jobs (kind, payload) VALUES (?, ?)",
        [(kind, json.dumps(payload)) for kind, payload in JOBS],
    )
    every = sorted({claim for kind, payload in JOBS for claim in flows.claims(kind, payload)})
    assert "order:o1" in every and "stock" in every
    for size in range(3):
        for busy in itertools.combinations(every, size):
            sql, params = flows.claimed_sql(busy)
            found = {r[0] for r in conn.execute(f"SELECT id FROM jobs WHERE {sql}", params)}
            expected = {
                i + 1
                for i, (kind, payload) in enumerate(JOBS)
                if set(flows.claims(kind, payload)) & set(busy)
            }
            assert found == expected, busy


def test_only_the_orders_pull_calls_the_channel_alone_and_it_is_sale_time_work() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, kind TEXT, payload TEXT)")
    conn.executemany(
        "INSERT INTO jobs (kind, payload) VALUES (?, ?)",
        [(kind, json.dumps(payload)) for kind, payload in JOBS],
    )
    rows = conn.execute(f"SELECT kind, payload FROM jobs WHERE {flows.channel_only_sql()}")
    assert [(kind, json.loads(payload)) for kind, payload in rows] == [("pull", {"flow": "orders"})]
    assert PULLS["orders"].cls == 0 and pull_spec("orders").cls == 0
    # "Sync now" lifts the other pulls to class 1 and leaves the orders pull at 0.
    classes = {spec.payload["flow"]: spec.cls for spec in sync_now_specs(["products", "orders"])}
    assert classes == {"products": 1, "orders": 0}
