"""Helpers for the control socket tests: a raw protocol connection, waiting for the socket,
and the handle of a running daemon."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import Sandbox, daemon_log


def control_section(sock: Path, extra: str = "") -> str:
    return f'\n[control]\npath = "{sock}"\n{extra}\n'


def wait_for_socket(path: Path, proc: subprocess.Popen[str] | None, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the daemon exited: {log.read_text()[-3000:]}")
        if path.exists():
            probe = socket.socket(socket.AF_UNIX)
            try:
                probe.connect(str(path))
                return
            except OSError:
                pass
            finally:
                probe.close()
        time.sleep(0.05)
    raise AssertionError(f"no control socket at {path}: {log.read_text()[-3000:]}")


@dataclass
class RunningDaemon:
    proc: subprocess.Popen[str]
    config: Path
    socket: Path
    box: Sandbox

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def log(self) -> str:
        return daemon_log(self.config).read_text()


OPEN: list[Wire] = []


class Wire:
    """A raw protocol connection for tests: send bytes or objects, read decoded lines."""

    def __init__(self, path: Path, timeout: float = 30) -> None:
        OPEN.append(self)
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.buffer = b""

    def send(self, data: bytes | dict[str, Any]) -> None:
        import json

        raw = data if isinstance(data, bytes) else json.dumps(data).encode() + b"\n"
        self.sock.sendall(raw)

    def recv(self) -> dict[str, Any]:
        import json

        while b"\n" not in self.buffer:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError("the daemon closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def reply(self) -> dict[str, Any]:
        """The next reply, skipping snapshots and events."""
        while True:
            message = self.recv()
            if message["type"] == "reply":
                return message

    def call(self, cmd: str, request_id: int = 1, **args: Any) -> dict[str, Any]:
        self.send({"id": request_id, "cmd": cmd, "args": args})
        return self.reply()

    def close(self) -> None:
        self.sock.close()


def wire(path: Path) -> Wire:
    w = Wire(path)
    hello = w.recv()
    assert hello["type"] == "hello" and hello["protocol"] == 1, hello
    return w
