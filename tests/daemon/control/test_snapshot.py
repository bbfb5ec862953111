"""The snapshot stays small however big the daemon gets; state changes come from snapshot deltas;
the budget projection."""

from __future__ import annotations

import random
import sqlite3
import textwrap
import time
from pathlib import Path

import anyio
import pytest

from syncwright.daemon import runtime
from syncwright.daemon.actor import Services
from syncwright.daemon.clock import SystemClock
from syncwright.daemon.config.load import load_config
from syncwright.daemon.control.context import ControlContext
from syncwright.daemon.control.events import diff
from syncwright.daemon.control.protocol import BudgetRow, ConnectionRow, Snapshot, SnapshotMessage
from syncwright.daemon.control.snapshot import SnapshotBuilder
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.store.db import Store
from syncwright.daemon.supervisor import Supervisor

CONNECTIONS = 1000
JOBS = 100_000


def _config(tmp_path: Path) -> Path:
    text = textwrap.dedent("""
        [daemon]
        state_file = "state.db"
        [systems.erp]
        kind = "sandbox-erp"
        url = "http://127.0.0.1:9"
        credentials = { api_key = { env = "UNUSED_KEY" } }
        [systems.erp.budget.windows.day]
        limit = 100000
        [systems.shop]
        kind = "sandbox-shop"
        url = "http://127.0.0.1:9"
        credentials = { api_key = { env = "UNUSED_KEY" } }
        [systems.shop.budget.windows.minute]
        limit = 600
        """)
    for i in range(CONNECTIONS):
        text += (
            f'\n[connections.shop-{i:04d}-with-a-longish-name]\nsource = "erp"\n'
            'channel = "shop"\nflows = ["products", "stock"]\n'
        )
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def _fill(db: Path, names: list[str]) -> None:
    conn = sqlite3.connect(db)
    now = time.time()
    rng = random.Random(7)
    rows = []
    for _ in range(JOBS):
        state = rng.choice(["pending", "pending", "pending", "leased", "dead"])
        rows.append(
            (
                rng.choice(names),
                "pull",
                rng.randrange(5),
                state,
                now + rng.choice([-60, 60]),
                now,
                1,
                "boom",
            )
        )
    with conn:
        conn.executemany(
            "INSERT INTO jobs (connection, kind, class, state, run_at, enqueued_at, attempts,"
            " last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO sync_errors VALUES (?, 'products', ?, 'refused: price below zero', ?, ?)",
            [(names[i % len(names)], str(i), now, now) for i in range(5000)],
        )
    conn.close()


@pytest.mark.slow
def test_a_snapshot_of_1000_connections_and_100000_jobs_stays_under_a_megabyte(
    tmp_path: Path,
) -> None:
    config = load_config(_config(tmp_path))
    sup = Supervisor(config, tmp_path / "config.toml")

    async def build() -> bytes:
        store = await Store.open(config.daemon.state_file)
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                _fill(config.daemon.state_file, list(config.connections))
                clock = SystemClock()
                sup.services = Services(
                    store,
                    Queue(store, clock),
                    clock,
                    runtime.retry_policy(config),
                    runtime.build_budgets(config, clock),
                )
                ctx = ControlContext(sup, clock.now(), "test")
                builder = SnapshotBuilder(ctx)
                snap = await builder.build()
                builder.close()
                store.stop_writes()
        finally:
            await store.aclose()
        assert len(snap.connections) == CONNECTIONS
        total = sum(sum(v) for c in snap.connections for v in c.jobs.values())
        assert total == JOBS
        assert sum(c.open_errors for c in snap.connections) == 5000
        return SnapshotMessage(seq=1, data=snap).model_dump_json().encode()

    line = anyio.run(build)
    assert len(line) < 1_000_000, len(line)


def _row(name: str, **changes: object) -> ConnectionRow:
    base: dict[str, object] = {
        "name": name,
        "source": "erp",
        "channel": "shop",
        "state": "running",
        "jobs": {},
        "running": 0,
        "oldest_ready_age": None,
        "last_full_sync": None,
        "last_partial_sync": None,
        "full_running": False,
        "open_errors": 0,
        "jobs_done": 0,
        "jobs_failed": 0,
        "restarts": 0,
    }
    return ConnectionRow.model_validate(base | changes)


def _snap(at: float, rows: list[ConnectionRow], blocked: float | None = None) -> Snapshot:
    budget = BudgetRow(
        system="shop",
        blocked_until=blocked,
        block_reason="429" if blocked else None,
        allowed_classes=[],
        windows=[],
    )
    return Snapshot(at=at, daemon="t", pid=1, started_at=0, connections=rows, budgets=[budget])


def test_snapshot_deltas_give_state_changes_and_block_ends_only() -> None:
    before = _snap(1, [_row("a", jobs_done=5, open_errors=3), _row("b", jobs_done=9)])
    after = _snap(
        2,
        [
            _row("a", jobs_done=12, jobs_failed=2, open_errors=1, state="paused"),
            _row("b", jobs_done=0),  # restarted actor: its counters start again
        ],
        blocked=100.0,
    )
    # Jobs, errors and blocks come from the event hub, with details; not from counters.
    got = {(e.event, e.connection or e.system, e.count, e.detail) for e in diff(before, after)}
    assert got == {("connection.state", "a", 1, "paused")}
    back = {(e.event, e.system) for e in diff(after, _snap(3, after.connections))}
    assert back == {("budget.unblocked", "shop")}


def test_every_command_and_error_code_is_documented() -> None:
    from syncwright.daemon.control.commands import COMMANDS
    from syncwright.daemon.control.protocol import ErrorCode

    doc = (Path(__file__).resolve().parents[3] / "docs" / "control-protocol.md").read_text()
    for name, command in COMMANDS.items():
        assert f"### `{name}`" in doc, f"docs/control-protocol.md lacks the command {name}"
        assert command.doc.splitlines()[0] in doc, f"the reference of {name} is out of date"
    for code in ErrorCode:
        assert f"| {code.value} | {code.name.lower()} |" in doc, f"undocumented code {code}"
