"""Helpers for the control socket tests: a raw protocol connection, waiting for the socket,
and the handle of a running daemon."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from harness import DaemonProcess, wait_until
from helpers import Sandbox, sandbox_daemon


def control_section(sock: Path, extra: str = "") -> str:
    return f'\n[control]\npath = "{sock}"\n{extra}\n'


def wait_for_socket(path: Path, daemon: DaemonProcess) -> None:
    """Until something accepts connections at ``path``; fails at once when the daemon exits."""

    def accepting() -> bool:
        if not daemon.running():
            raise AssertionError(f"the daemon exited: {daemon.log()[-3000:]}")
        if not path.exists():
            return False
        probe = socket.socket(socket.AF_UNIX)
        try:
            probe.connect(str(path))
            return True
        except OSError:
            return False
        finally:
            probe.close()

    wait_until(
        accepting,
        timeout=60,
        interval=0.05,
        message=lambda: f"no control socket at {path}: {daemon.log()[-3000:]}",
    )


class RunningDaemon(DaemonProcess):
    """A daemon on a sandbox config with a control socket (started at once), and its sandbox."""

    def __init__(self, config: Path, socket: Path, box: Sandbox) -> None:
        super().__init__(sandbox_daemon(config), (), None)
        self.socket = socket
        self.box = box


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
