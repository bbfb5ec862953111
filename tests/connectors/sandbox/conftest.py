"""Fixtures that run the sandbox servers as real subprocesses on loopback ports."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

KEY = "test-key"
ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Sandbox:
    """One running sandbox process and the way to reach it."""

    role: str
    db: Path
    args: list[str]
    url: str = ""
    process: subprocess.Popen[bytes] | None = None
    lines: list[str] = field(default_factory=list)
    key: str = KEY

    def start(self) -> Sandbox:
        command = [
            sys.executable,
            "-m",
            "syncwright.connectors.sandbox",
            self.role,
            "--listen",
            "127.0.0.1:0",
            "--db",
            str(self.db),
            "--api-key",
            KEY,
            *self.args,
        ]
        with open(self.db.with_suffix(".log"), "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log)
        line = _read_line(self.process, timeout=30)
        assert line.startswith("listening on http://127.0.0.1:"), line
        self.lines = [line]
        self.url = line.removeprefix("listening on ")
        return self

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the process and wait; returns its exit code. Remaining stdout is kept."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=15)
        assert self.process.stdout is not None
        self.lines += self.process.stdout.read().decode().splitlines()
        self.process.stdout.close()
        return code

    def client(self, key: str = KEY) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=10
        )

    def spec_settings(self) -> dict[str, object]:
        return {"url": self.url, "timeout": 10}


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buffer = b""
    while b"\n" not in buffer:
        left = deadline - time.monotonic()
        if left <= 0 or not selector.select(left):
            process.kill()
            raise AssertionError(f"sandbox did not report listening within {timeout}s")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise AssertionError(f"sandbox exited with {process.wait()} before listening")
        buffer += chunk
    selector.close()
    line, _, rest = buffer.partition(b"\n")
    assert not rest, f"unexpected output after the listening line: {rest!r}"
    return line.decode()


Start = Callable[..., Sandbox]


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[Start]:
    """``start_sandbox("erp", "--products", "30")``: a running sandbox, stopped at teardown."""
    running: list[Sandbox] = []

    def start(role: str, *args: str, db: Path | None = None) -> Sandbox:
        sandbox = Sandbox(role, db or tmp_path / f"{role}-{len(running)}.db", list(args))
        running.append(sandbox.start())
        return sandbox

    yield start
    for sandbox in running:
        if sandbox.process is not None and sandbox.process.poll() is None:
            sandbox.stop(signal.SIGKILL)


@pytest.fixture
def erp(start_sandbox: Start) -> Sandbox:
    return start_sandbox("erp", "--products", "60", "--variants", "2", "--seed", "7")


@pytest.fixture
def shop(start_sandbox: Start) -> Sandbox:
    return start_sandbox("shop", "--locations", "central,north")
