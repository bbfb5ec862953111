"""Two daemons in one process share no state: each has its own event hub, log redactor,
read-ahead pages, order locks and job timings (they belong to the supervisor, not to a module).

Both run for real (state file, control socket, task groups); each has a system whose
credential is its own secret. What one daemon publishes, reads ahead or times, the other
never sees; a secret from one daemon's config is redacted from that daemon's log lines.
"""

from __future__ import annotations

import io
import json
import sqlite3
import textwrap
from pathlib import Path

import anyio
import pytest
import structlog

from syncwright.connectors.base import ChangeQuery, Page
from syncwright.daemon import synclog
from syncwright.daemon.config.load import load_config
from syncwright.daemon.events_bus import Event
from syncwright.daemon.logs import structured as logs
from syncwright.daemon.supervisor import Supervisor

SECRETS = {"a": "alpha-secret-4242", "b": "bravo-secret-7373"}
QUERY = ChangeQuery(since="2026-01-01T00:00:00Z", after=None, limit=50)


def _config(tmp: Path, sock_dir: Path, name: str) -> Path:
    folder = tmp / name
    folder.mkdir()
    path = folder / "config.toml"
    path.write_text(
        textwrap.dedent(f"""
        [daemon]
        state_file = "state/state.db"
        log_format = "json"

        [control]
        path = "{sock_dir / (name + ".sock")}"

        [sandbox]
        enabled = false

        [systems.erp]
        kind = "sandbox-erp"
        url = "http://127.0.0.1:9"
        credentials = {{ api_key = {{ env = "SW_TWO_DAEMONS_{name.upper()}" }} }}
        """)
    )
    return path


def test_two_daemons_in_one_process_share_no_state(
    tmp_path: Path, sock_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, secret in SECRETS.items():
        monkeypatch.setenv(f"SW_TWO_DAEMONS_{name.upper()}", secret)
    out = io.StringIO()
    logs.configure("info", "json", stream=out)  # no redactor outside the daemons
    ready = {name: anyio.Event() for name in SECRETS}
    both = " and ".join(SECRETS.values())

    def probe(name: str) -> None:
        # Runs inside the daemon's own context, like everything the daemon logs.
        structlog.get_logger("test").info("probe", daemon=name, detail=f"keys {both}")
        ready[name].set()

    daemons = {}
    for name in SECRETS:
        path = _config(tmp_path, sock_dir, name)
        daemons[name] = Supervisor(load_config(path), path, on_ready=lambda n=name: probe(n))
    a, b = daemons["a"], daemons["b"]
    seen: dict[str, object] = {}

    async def main() -> None:
        subs = {name: sup.hub.subscribe() for name, sup in daemons.items()}
        async with anyio.create_task_group() as tg:
            for name, sup in daemons.items():
                tg.start_soon(sup.run, name=f"daemon.{name}")
            with anyio.fail_after(30):
                for event in ready.values():
                    await event.wait()
            assert a.services is not None and b.services is not None
            # Events: a budget block, one published directly, one staged by a write.
            a.services.budgets["erp"].block(30.0, "429 for a")
            b.services.hub.publish(Event("connection.paused", 1.0, connection="b-only"))

            def error(conn: sqlite3.Connection) -> None:
                synclog.add_error(conn, "a-conn", "products", "P-1", "refused", 2.0)

            await a.services.store.write(error)
            seen["events"] = {
                name: sorted((e.event, e.system or e.connection) for e in sub.drain())
                for name, sub in subs.items()
            }
            # Read-ahead pages and job timings.
            a.services.memory.readahead.keep(
                "demo#1", "products", QUERY, Page(["1"], None, complete=True), None
            )
            seen["b_page"] = b.services.memory.readahead.take("demo#1", "products", QUERY)
            seen["a_page"] = a.services.memory.readahead.take("demo#1", "products", QUERY)
            a.services.timings.observe("demo", 2, "pull", 0.2)
            seen["timings"] = (len(a.services.timings.snapshot()), b.services.timings.snapshot())
            seen["shared"] = [
                what
                for what, x, y in [
                    ("memory", a.services.memory, b.services.memory),
                    ("order locks", a.services.memory.order_locks, b.services.memory.order_locks),
                    ("hub", a.hub, b.hub),
                    ("redactor", a.redactor, b.redactor),
                ]
                if x is y
            ]
            for sup in daemons.values():
                sup.request_stop()

    anyio.run(main)
    assert seen["events"] == {
        "a": [("budget.blocked", "erp"), ("error.added", "a-conn")],
        "b": [("connection.paused", "b-only")],
    }
    assert seen["b_page"] is None and seen["a_page"] is not None
    assert seen["timings"] == (1, [])
    assert seen["shared"] == []

    probes = {}
    for line in out.getvalue().splitlines():
        record = json.loads(line)
        if record["event"] == "probe":
            probes[record["daemon"]] = record["detail"]
    alpha, bravo = SECRETS["a"], SECRETS["b"]
    assert probes == {
        "a": f"keys {logs.REDACTED} and {bravo}",  # a redacts its own secret, not b's
        "b": f"keys {alpha} and {logs.REDACTED}",
    }
    assert alpha in a.redactor and alpha not in b.redactor
    assert bravo in b.redactor and bravo not in a.redactor
