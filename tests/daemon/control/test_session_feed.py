"""A session's hub subscription lives exactly as long as the client subscribes: the hub goes
quiet (publishing costs nothing) once the client unsubscribes or hangs up."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import anyio
from harness import async_wait_until

from syncwright.daemon.control.protocol import ok_reply
from syncwright.daemon.control.session import ClientSession
from syncwright.daemon.events_bus import Event, EventHub


class _Ctx:
    def now(self) -> float:
        return 0.0


class _Server:
    ctx = _Ctx()

    def __init__(self) -> None:
        self.hub = EventHub()  # the daemon's hub (ControlServer.hub)

    async def dispatch(self, session: ClientSession, line: bytes) -> Any:
        return ok_reply(json.loads(line)["id"], {})

    async def current_snapshot(self) -> bytes | None:
        return None


def test_the_feed_follows_subscribe_unsubscribe_and_hang_up(sock_dir: Path) -> None:
    path = sock_dir / "s.sock"
    seen: dict[str, Any] = {}

    async def main() -> None:
        listener = await anyio.create_unix_listener(path)
        client = socket.socket(socket.AF_UNIX)
        client.connect(str(path))
        async with listener:
            stream = await listener.accept()
            server = _Server()
            hub = server.hub
            session = ClientSession(server, stream, 1)  # type: ignore[arg-type]
            async with anyio.create_task_group() as tg:
                tg.start_soon(session.run, b"")
                await session.subscribe(detail=True)
                seen["detailed"] = session.detailed
                seen["active"] = hub.active
                hub.publish(Event("job.done", 1.0, connection="demo", job=7))
                assert session.feed is not None
                seen["drained"] = [e.job for e in session.feed.drain()]
                session.unsubscribe()
                seen["after_unsubscribe"] = (hub.active, session.feed)
                await session.subscribe()
                seen["again"] = (hub.active, session.detailed)
                client.close()  # the client hangs up while subscribed
                await async_wait_until(
                    lambda: session.feed is None,
                    timeout=10,
                    interval=0.01,
                    message="the session kept its feed after the client hung up",
                )
                seen["after_hang_up"] = hub.active

    anyio.run(main)
    assert seen == {
        "detailed": True,
        "active": True,
        "drained": [7],
        "after_unsubscribe": (False, None),
        "again": (True, False),
        "after_hang_up": False,
    }
