"""One daemon per state file: a second ``syncwright run`` on the same file exits 3 naming the
first one's PID, before it reads or writes anything (the first one's leased job keeps its
lease and its attempt count); the offline commands that write use the same lock."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from control_helpers import control_section, wait_for_socket
from harness import DaemonProcess, syncwright, wait_until
from helpers import daemon_env, sandbox_daemon, state, write_config

from syncwright.daemon.store.lock import acquire

pytestmark = pytest.mark.slow

LEASED = "SELECT id, lease_owner, attempts, orphaned, state FROM jobs WHERE state = 'leased'"


@pytest.fixture
def black_hole() -> Iterator[str]:
    """An address that accepts connections and never answers: a job calling it stays leased."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def wait_for_leased(config: Path, first: DaemonProcess) -> list[tuple[Any, ...]]:
    def leased() -> list[tuple[Any, ...]]:
        assert first.running(), first.log()[-3000:]
        return state(config, LEASED)

    return wait_until(leased, timeout=60, message="the first daemon never leased a job")


def test_a_second_daemon_on_the_same_state_file_exits_3_and_touches_nothing(
    sandbox_factory: Any, black_hole: str, tmp_path: Path, sock_dir: Path
) -> None:
    box = sandbox_factory(products=5, variants=1)
    hole = SimpleNamespace(erp=SimpleNamespace(url=black_hole), shop=box.shop)
    config = write_config(tmp_path, hole, extra=control_section(sock_dir / "control.sock"))  # type: ignore[arg-type]
    config.write_text(
        config.read_text().replace('kind = "sandbox-erp"', 'kind = "sandbox-erp"\ntimeout = "5m"')
    )
    daemon = sandbox_daemon(config)
    with daemon.start() as first:
        wait_for_socket(sock_dir / "control.sock", first)
        leased = wait_for_leased(config, first)
        second = daemon.run(timeout=60)
        assert second.returncode == 3, second.stderr[-3000:]
        pid = first.proc.pid
        assert f"process {pid} (syncwright run)" in second.stderr, second.stderr[-3000:]
        assert "recovered" not in second.stderr and "migrated" not in second.stderr
        after = set(state(config, LEASED))
        assert set(leased) <= after, "the running daemon's leased jobs were not touched"
        # A second start in burst mode is refused the same way.
        burst = daemon.run("--until-idle", timeout=60)
        assert burst.returncode == 3, burst.stderr[-3000:]
        # An offline write while the daemon runs: its one transaction, no migration.
        forget = syncwright("forget", "gone", "--config", str(config), env=daemon_env())
        assert forget.returncode == 0, forget.stderr
        assert first.stop() == 0, first.log()[-3000:]


def test_a_daemon_does_not_start_while_an_offline_command_holds_the_lock(
    tmp_path: Path,
) -> None:
    nowhere = SimpleNamespace(url="http://127.0.0.1:9")
    config = write_config(tmp_path, SimpleNamespace(erp=nowhere, shop=nowhere))  # type: ignore[arg-type]
    held = acquire(config.parent / "state" / "state.db", "syncwright forget old")
    try:
        result = sandbox_daemon(config).run("--until-idle", timeout=60)
    finally:
        held.release()
    assert result.returncode == 3, result.stderr[-3000:]
    assert f"process {os.getpid()} (syncwright forget old)" in result.stderr
    assert not (config.parent / "state" / "state.db").exists(), "nothing was created or read"
