"""A blocking client of the control socket, for the command line (one request, one reply)."""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Any

from syncwright.daemon.control.protocol import (
    MAX_REPLY_LINE,
    SUPPORTED_VERSIONS,
    EventMessage,
    Hello,
    Reply,
    SnapshotMessage,
    parse_server_line,
    request_line,
)


class NotReachable(Exception):
    """The daemon cannot be reached; the message says why and what to do."""


class CommandFailed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{reason} (error {code})")
        self.code = code
        self.reason = reason


class BlockingClient:
    def __init__(self, path: Path, *, timeout: float = 90.0) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        self._buffer = b""
        self._next_id = 0
        try:
            self._sock.connect(str(path))
        except OSError as exc:
            self._sock.close()
            raise NotReachable(_why(path, exc)) from None
        try:
            self.hello = self._greeting()
        except NotReachable:
            self._sock.close()
            raise

    def _greeting(self) -> Hello:
        hello = self._line()
        if not isinstance(hello, Hello):
            raise NotReachable(f"{self.path}: the daemon did not greet with a hello")
        if hello.protocol not in SUPPORTED_VERSIONS:
            raise NotReachable(
                f"{self.path}: the daemon speaks control protocol {hello.protocol}; this "
                f"command speaks {', '.join(map(str, sorted(SUPPORTED_VERSIONS)))}. Use the "
                "syncwright command of the same version as the daemon"
            )
        return hello

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> BlockingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        """Send one request; its result, or CommandFailed with the daemon's code and reason."""
        self._next_id += 1
        rid = self._next_id
        try:
            self._sock.sendall(request_line(rid, cmd, args))
        except OSError as exc:
            raise NotReachable(f"{self.path}: the daemon closed the connection ({exc})") from None
        while True:
            message = self._line()
            if isinstance(message, Reply) and message.id in (rid, None):
                if message.ok:
                    return message.result or {}
                assert message.error is not None
                raise CommandFailed(message.error.code, message.error.reason)

    def stream_mode(self) -> None:
        """Wait as long as it takes for the next message (a subscription's quiet spells)."""
        self._sock.settimeout(None)

    def receive(self) -> Hello | Reply | SnapshotMessage | EventMessage:
        """The next message from the daemon (after ``subscribe``: snapshots and events)."""
        message: Hello | Reply | SnapshotMessage | EventMessage = self._line()
        return message

    def _line(self) -> Any:
        while b"\n" not in self._buffer:
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                raise NotReachable(f"{self.path}: the daemon did not answer in time") from None
            except OSError as exc:
                raise NotReachable(f"{self.path}: {exc}") from None
            if not chunk:
                raise NotReachable(f"{self.path}: the daemon closed the connection")
            self._buffer += chunk
            if len(self._buffer) > MAX_REPLY_LINE:
                raise NotReachable(f"{self.path}: a reply longer than {MAX_REPLY_LINE} bytes")
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            return parse_server_line(line)
        except ValueError as exc:
            raise NotReachable(f"{self.path}: {exc}") from None


def _why(path: Path, exc: OSError) -> str:
    if exc.errno in (errno.ENOENT, errno.ECONNREFUSED):
        return (
            f"the daemon is not running: nothing listens at {path}. Start it "
            "(systemctl start syncwright, or syncwright run), or pass --config / --socket "
            "for the right one"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"{path}: permission denied. The control socket belongs to the daemon's user; run "
            "this as that user, or as a member of the [control] group"
        )
    return f"{path}: cannot connect to the daemon: {exc.strerror or exc}"
