"""Shared fixtures (sandbox helpers live in tests/helpers.py, the daemon as a process in
tests/harness.py): sandboxes, and daemons with a control socket (a short private socket
directory) for the control and TUI tests."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from control_helpers import OPEN, RunningDaemon, control_section, wait_for_socket
from helpers import Sandbox, start_server, write_config

# Daemons the tests start, and the CLI commands they run, put and look for the control socket
# in the runtime directory unless a test names one. Give this test run a runtime directory of
# its own, so it never talks to a daemon that runs on this machine outside the tests (or to
# another test run's), and never takes that daemon's socket.
_RUNTIME = tempfile.mkdtemp(prefix="syncwright-test-run-")
os.environ["XDG_RUNTIME_DIR"] = _RUNTIME
os.environ.pop("RUNTIME_DIRECTORY", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_RUNTIME, ignore_errors=True)


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[object]:
    started: list[Sandbox] = []

    def make(products: int = 120, variants: int = 2, **erp_opts: object) -> Sandbox:
        extra = [
            "--products",
            str(products),
            "--variants-per-product",
            str(variants),
            "--customers",
            "0",
        ]
        for key, value in erp_opts.items():
            extra += [f"--{key.replace('_', '-')}", str(value)]
        erp = start_server("erp", tmp_path / "erp.db", *extra)
        shop = start_server("shop", tmp_path / "shop.db")
        box = Sandbox(erp, shop, tmp_path)
        started.append(box)
        return box

    yield make
    for box in started:
        box.erp.stop()
        box.shop.stop()


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
        running = RunningDaemon(path, sock, box)
        started.append(running)
        wait_for_socket(sock, running)
        return running

    yield make
    for running in started:
        running.stop()


@pytest.fixture(autouse=True)
def _close_wires() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()
