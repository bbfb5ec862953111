"""One client session on a real socket pair: a client that never reads holds at most one
snapshot and 256 events, offering to it never waits, and it is dropped after the send timeout.
Also: clients refuse a daemon that speaks another protocol version."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog

from syncwright.daemon.control import session as session_module
from syncwright.daemon.control.blocking_client import BlockingClient, NotReachable
from syncwright.daemon.control.protocol import encode, ok_reply
from syncwright.daemon.control.session import MAX_EVENTS, ClientSession
from syncwright.tui.client import ControlClient, LinkError


class _Ctx:
    def now(self) -> float:
        return 0.0


class _Server:
    """Just what a session calls back into (the real server is tested over the daemon)."""

    ctx = _Ctx()

    async def dispatch(self, session: ClientSession, line: bytes) -> Any:
        return ok_reply(json.loads(line)["id"], {})

    async def current_snapshot(self) -> bytes | None:
        return None


def test_a_client_that_never_reads_is_bounded_and_then_dropped(
    sock_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "SEND_TIMEOUT", 1.0)
    path = sock_dir / "s.sock"
    big = b'{"type": "snapshot", "pad": "' + b"x" * 500_000 + b'"}\n'
    seen: dict[str, Any] = {}

    async def main() -> None:
        listener = await anyio.create_unix_listener(path)
        client = socket.socket(socket.AF_UNIX)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.connect(str(path))  # and never reads
        try:
            async with listener:
                stream = await listener.accept()
                session = ClientSession(_Server(), stream, 1)  # type: ignore[arg-type]
                session.subscribed = True
                with structlog.testing.capture_logs() as logs, anyio.fail_after(30):
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(session.run, b'{"type": "hello"}\n')
                        for i in range(2000):
                            before = anyio.current_time()
                            session.offer(big, [encode(ok_reply(i, {}))])
                            assert anyio.current_time() - before < 0.05  # never waits
                            await anyio.sleep(0.001)
                        seen["events"] = len(session._events)
                        seen["snapshot"] = session._snapshot is None or session._snapshot == big
                seen["logs"] = [entry["event"] for entry in logs]
        finally:
            client.close()

    anyio.run(main)
    assert seen["events"] <= MAX_EVENTS
    assert seen["snapshot"]
    assert "control.client_stuck" in seen["logs"]


def _fake_daemon(path: Path, hello: dict[str, Any]) -> threading.Thread:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(4)

    def serve() -> None:
        for _ in range(2):
            conn, _ = server.accept()
            conn.sendall(json.dumps(hello).encode() + b"\n")
            conn.recv(10)
            conn.close()
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_clients_refuse_a_protocol_version_they_do_not_speak(sock_dir: Path) -> None:
    path = sock_dir / "future.sock"
    thread = _fake_daemon(path, {"type": "hello", "protocol": 99, "daemon": "9.0", "pid": 1})
    with pytest.raises(NotReachable, match="protocol 99"):
        BlockingClient(path, timeout=10)
    with pytest.raises(LinkError, match="another protocol version"):
        asyncio.run(ControlClient.connect(path))
    thread.join(timeout=10)
