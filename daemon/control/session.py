"""One client connection: a reader that answers requests in order, and a writer that sends
replies, events and the latest snapshot without ever making the daemon wait.

Per client the daemon holds at most: the replies not yet sent (the reader stops reading while
they exceed MAX_OUTBOX), MAX_EVENTS events (older ones dropped and counted) and one snapshot (a
newer one replaces it). A client that takes longer than SEND_TIMEOUT to accept a write is
disconnected.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import anyio
import structlog
from anyio.abc import SocketStream
from anyio.streams.buffered import BufferedByteReceiveStream

from syncwright.daemon.control.protocol import (
    MAX_REQUEST_LINE,
    ErrorCode,
    EventMessage,
    encode,
    error_reply,
)
from syncwright.daemon.events_bus import Subscription

if TYPE_CHECKING:
    from syncwright.daemon.control.server import ControlServer

log = structlog.get_logger("syncwright.control")

MAX_EVENTS = 256
MAX_OUTBOX = 4 * 1024 * 1024
SEND_TIMEOUT = 30.0
FLUSH_ON_CLOSE = 5.0


class ClientSession:
    def __init__(self, server: ControlServer, stream: SocketStream, number: int) -> None:
        self.server = server
        self.stream = stream
        self.number = number
        self.subscribed = False
        #: The hub's detailed events for this client (while subscribed), and their shape.
        self.feed: Subscription | None = None
        self.detailed = False
        self._replies: deque[bytes] = deque()
        self._reply_bytes = 0
        self._events: deque[bytes] = deque(maxlen=MAX_EVENTS)
        self._dropped = 0
        self._snapshot: bytes | None = None
        self._wake = anyio.Event()
        self._sent = anyio.Event()
        self._closing = False
        self.log = log.bind(client=number)

    # -- what the server and commands call -------------------------------------------------

    async def subscribe(self, *, detail: bool = False) -> None:
        self.detailed = detail
        if self.feed is None:
            self.feed = self.server.hub.subscribe()
        self.subscribed = True
        line = await self.server.current_snapshot()
        if line is not None:
            self.offer(line, [])

    def unsubscribe(self) -> None:
        self.subscribed = False
        if self.feed is not None:
            self.server.hub.unsubscribe(self.feed)
            self.feed = None
        self._snapshot = None
        self._events.clear()

    def offer(self, snapshot: bytes | None, events: list[bytes]) -> None:
        """Never waits: the newest snapshot replaces an unsent one; the oldest events go."""
        if not self.subscribed:
            return
        for event in events:
            if len(self._events) == MAX_EVENTS:
                self._dropped += 1
            self._events.append(event)
        if snapshot is not None:
            self._snapshot = snapshot
        self._wake.set()

    def reply(self, line: bytes) -> None:
        self._replies.append(line)
        self._reply_bytes += len(line)
        self._wake.set()

    # -- life ------------------------------------------------------------------------------

    async def run(self, hello: bytes) -> None:
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._writer)
                self.reply(hello)
                await self._reader()
                # Send what is owed (an error that explains the hang-up), then hang up; the
                # writer returns once it has sent everything, or is cancelled after a while.
                self._closing = True
                self._wake.set()
                tg.cancel_scope.deadline = anyio.current_time() + FLUSH_ON_CLOSE
        except* TimeoutError:
            self.log.warning("control.client_stuck", timeout=SEND_TIMEOUT)
        except* (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass  # the client went away
        finally:
            self.unsubscribe()
            with anyio.CancelScope(shield=True):
                await self.stream.aclose()

    async def _reader(self) -> None:
        receive = BufferedByteReceiveStream(self.stream)
        while True:
            try:
                line = await receive.receive_until(b"\n", MAX_REQUEST_LINE)
            except anyio.DelimiterNotFound:
                self.reply(
                    encode(
                        error_reply(
                            None,
                            ErrorCode.LINE_TOO_LONG,
                            f"request line longer than {MAX_REQUEST_LINE} bytes; closing",
                        )
                    )
                )
                return
            except (
                anyio.EndOfStream,
                anyio.IncompleteRead,
                anyio.BrokenResourceError,
                anyio.ClosedResourceError,
                OSError,
            ):
                return
            if not line.strip():
                continue
            reply = await self.server.dispatch(self, line)
            self.reply(encode(reply))
            while self._reply_bytes > MAX_OUTBOX:  # the client is not reading its replies
                await self._wait_sent()

    async def _wait_sent(self) -> None:
        self._sent = sent = anyio.Event()
        await sent.wait()

    def _take(self) -> bytes | None:
        parts = list(self._replies)
        self._replies.clear()
        self._reply_bytes = 0
        if self._dropped:
            dropped = EventMessage(
                event="events.dropped", at=self.server.ctx.now(), count=self._dropped
            )
            parts.append(encode(dropped))
            self._dropped = 0
        parts += self._events
        self._events.clear()
        if self._snapshot is not None:
            parts.append(self._snapshot)
            self._snapshot = None
        return b"".join(parts) if parts else None

    async def _writer(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            while (chunk := self._take()) is not None:
                with anyio.fail_after(SEND_TIMEOUT):
                    await self.stream.send(chunk)
                self._sent.set()
            self._sent.set()
            if self._closing:
                return
