"""Detailed events on a real daemon's subscription stream: which job failed and why, which
item's error was added and resolved, a budget block from a real 429, the plain event shape
for clients that did not ask for details, and the ``syncwright events`` command."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from control_helpers import RunningDaemon, Wire, control_section, wait_for_socket, wire
from harness import ROOT, syncwright, wait_until
from helpers import API_KEY, api, write_config


def _events(w: Wire, stop: Any, timeout: float = 60) -> list[dict[str, Any]]:
    """Events until ``stop(event)`` is true (that one included)."""
    seen: list[dict[str, Any]] = []

    def stopped() -> bool:
        message = w.recv()
        if message["type"] != "event":
            return False
        seen.append(message)
        return bool(stop(message))

    wait_until(
        stopped,
        timeout=timeout,
        interval=0,
        message=lambda: f"no matching event in {timeout} s; saw {seen}",
    )
    return seen


def _subscribe(d: RunningDaemon, *, detail: bool) -> Wire:
    w = wire(d.socket)
    reply = w.call("subscribe", detail=detail) if detail else w.call("subscribe")
    assert reply["ok"], reply
    return w


def test_a_failing_sync_item_is_a_job_failed_event_with_its_id_and_error(
    daemon_factory: Any,
) -> None:
    d = daemon_factory()
    detailed = _subscribe(d, detail=True)
    plain = _subscribe(d, detail=False)
    operator = wire(d.socket)
    d.box.erp.stop()  # the back office is down: the item sync fails, and is retried later
    reply = operator.call("sync_item", connection="demo", flow="products", id="3")
    job = reply["result"]["job"]

    def failed(e: dict[str, Any]) -> bool:
        return e["event"] == "job.failed" and e.get("job") == job

    event = next(e for e in _events(detailed, failed) if failed(e))
    assert event["connection"] == "demo"
    assert event["kind"] == "sync_item" and event["cls"] == 1
    assert event["detail"], event
    assert event["action"] == "retry"
    # A client that did not ask for details gets the first protocol 1 shape only.
    old = _events(plain, lambda e: e["event"] == "job.failed")
    assert set(old[-1]) == {"type", "event", "at", "connection", "system", "count", "detail"}


def test_an_item_error_added_then_resolved_names_the_item(daemon_factory: Any) -> None:
    d = daemon_factory()
    w = _subscribe(d, detail=True)
    body = {"title": "No SKU yet", "variants": [{"sku": None, "price": "9.99"}]}
    created = api(d.box.erp.url, "POST", "/admin/products", body)
    pid = str(created["id"])
    operator = wire(d.socket)
    assert operator.call("sync_item", connection="demo", flow="products", id=pid)["ok"]

    def about(name: str) -> Any:
        return lambda e: e["event"] == name and e.get("item") == pid

    added = _events(w, about("error.added"))[-1]
    assert (added["connection"], added["flow"]) == ("demo", "products")
    assert "has no SKU" in added["detail"]
    variant = created["variants"][0]["id"]
    api(
        d.box.erp.url,
        "PATCH",
        f"/admin/products/{pid}",
        {"variants": [{"id": variant, "sku": "FIXED-1"}]},
    )
    assert operator.call("sync_item", connection="demo", flow="products", id=pid)["ok"]
    resolved = _events(w, about("error.resolved"))[-1]
    assert (resolved["connection"], resolved["flow"]) == ("demo", "products")


def test_the_events_command_prints_a_failed_job_until_interrupted(
    daemon_factory: Any, tmp_path: Path
) -> None:
    d = daemon_factory()
    sock = ["--socket", str(d.socket)]
    out_path, err_path = tmp_path / "events.out", tmp_path / "events.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "syncwright", "events", "--connection", "demo", *sock],
            stdout=out,
            stderr=err,
            cwd=ROOT,
        )
    try:
        operator = wire(d.socket)
        d.box.erp.stop()  # the back office is down: every item sync fails (and is retried)
        jobs: list[int] = []
        started = time.monotonic()

        def failed_line() -> str:
            # Until the command has subscribed, a failure goes unseen: fail one now and then.
            if len(jobs) < 30 and len(jobs) * 2 < time.monotonic() - started:
                item = f"SKU-{len(jobs)}"
                reply = operator.call("sync_item", connection="demo", flow="products", id=item)
                jobs.append(reply["result"]["job"])
            found = [x for x in out_path.read_text().splitlines() if "job.failed" in x]
            return found[0] if found else ""

        line = wait_until(
            failed_line, timeout=60, interval=0.2, message="the command printed no job.failed"
        )
        assert line.split()[1:3] == ["demo", "job.failed"], line
        assert int(line.split("job ")[1].split()[0]) in jobs, (line, jobs)
        assert "sync_item" in line and "[retry]" in line, line
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, err_path.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    unknown = syncwright("events", "--connection", "nope", *sock)
    assert unknown.returncode == 5 and "no connection named 'nope'" in unknown.stderr
    gone = syncwright("events", "--socket", str(tmp_path / "none.sock"))
    assert gone.returncode == 4 and "not running" in gone.stderr


def _wait_quiet(w: Wire, timeout: float = 60) -> None:
    """Until a snapshot shows the paused connection with no job running."""

    def quiet() -> bool:
        message = w.recv()
        if message["type"] != "snapshot":
            return False
        (conn,) = message["data"]["connections"]
        return bool(conn["state"] == "paused" and conn["running"] == 0)

    wait_until(quiet, timeout=timeout, interval=0, message="the connection did not go quiet")


def _burn(url: str) -> None:
    """Spend the back office's per-minute limit behind the daemon's back, until it says 429."""
    import httpx

    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        for _ in range(1000):
            if client.get("/api/products/1").status_code == 429:
                return
    raise AssertionError("the sandbox never answered 429")


def test_a_429_from_the_sandbox_is_a_budget_blocked_event_with_its_end(
    sandbox_factory: Any, tmp_path: Path, sock_dir: Path
) -> None:
    box = sandbox_factory(products=20, variants=1, rate_limit=300)
    sock = sock_dir / "control.sock"
    # The daemon's minute window matches the server's, so the quota headers hold nothing back.
    config = write_config(tmp_path, box, extra=control_section(sock), minute_limit=300)
    d = RunningDaemon(config, sock, box)
    try:
        wait_for_socket(sock, d)
        w = _subscribe(d, detail=True)
        operator = wire(d.socket)
        assert operator.call("pause", connection="demo")["ok"]
        _wait_quiet(w)  # nothing calls the back office meanwhile
        _burn(box.erp.url)
        # The daemon's budget still thinks calls are left; its next call meets the 429.
        assert operator.call("resume", connection="demo")["ok"]
        assert operator.call("sync_item", connection="demo", flow="products", id="3")["ok"]
        blocked = _events(w, lambda e: e["event"] == "budget.blocked")[-1]
        assert blocked["system"] == "erp"
        assert blocked["until"] > blocked["at"]
        assert "429" in blocked["detail"], blocked
    finally:
        d.stop()
