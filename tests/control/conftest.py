"""Fixtures for the control socket: a short private socket directory and a running daemon."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from control_helpers import OPEN, RunningDaemon, control_section, wait_for_socket
from helpers import daemon_log, start_daemon, write_config


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    # Unix socket paths are limited to 107 bytes; tmp_path is often longer.
    path = Path(tempfile.mkdtemp(prefix="sw-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def daemon_factory(sandbox_factory: Any, tmp_path: Path, sock_dir: Path) -> Iterator[Any]:
    started: list[RunningDaemon] = []

    def make(products: int = 20, extra: str = "", **config: Any) -> RunningDaemon:
        box = sandbox_factory(products=products, variants=1)
        sock = sock_dir / "control.sock"
        path = write_config(tmp_path, box, extra=extra + control_section(sock), **config)
        proc = start_daemon(path)
        running = RunningDaemon(proc, path, sock, box)
        started.append(running)
        wait_for_socket(sock, proc, daemon_log(path))
        return running

    yield make
    for running in started:
        running.stop()


@pytest.fixture(autouse=True)
def _close_wires() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()
