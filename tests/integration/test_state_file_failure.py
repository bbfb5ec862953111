"""A state file that can no longer be written under a running daemon (here: the process may
not grow any file past a limit, as on a full disk) stops the daemon cleanly: exit 1, one
log line naming the file and the cause, and a state file that is whole."""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from harness import ROOT
from helpers import api, daemon_env, run_ok, sandbox_daemon, write_config

pytestmark = pytest.mark.slow

#: Bytes any file of the daemon may grow to: the write-ahead log reaches it after a few dozen
#: commits. CPython ignores SIGXFSZ, so a write past it fails with EFBIG ("disk is full").
FILE_LIMIT = 160 * 1024


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))


def test_a_state_file_that_cannot_be_written_stops_the_daemon_with_exit_1(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box = sandbox_factory(products=60, variants=1)
    config = write_config(tmp_path, box, page_size=2, extra="")
    config.write_text(config.read_text().replace('log_level = "info"', 'log_level = "warning"'))
    run_ok(config)
    state = config.parent / "state" / "state.db"
    for pid in range(1, 61):
        api(box.erp.url, "PATCH", f"/admin/products/{pid}", {"title": f"Full disk {pid}"})
    result = subprocess.run(
        sandbox_daemon(config).command("--until-idle"),
        capture_output=True,
        text=True,
        timeout=90,  # before the fix the writer's waiters hung here
        env=daemon_env(),
        cwd=ROOT,
        preexec_fn=_limit_file_size,
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    failed = [line for line in lines if line.get("event") == "store.failed"]
    assert result.returncode == 1, result.stderr[-3000:]
    assert len(failed) == 1, result.stderr[-3000:]
    assert failed[0]["path"] == str(state)
    assert "full" in failed[0]["error"] or "I/O" in failed[0]["error"], failed[0]
    conn = sqlite3.connect(state)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM jobs WHERE state = 'leased'").fetchone()[0] >= 0
    finally:
        conn.close()
    run_ok(config)  # with room again, the daemon starts, recovers and finishes the work
