"""An asyncio client of the daemon's control socket (no Textual here): requests with ids,
and the subscription's snapshots and events as a stream."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
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

#: Seconds to connect and receive the hello.
CONNECT_TIMEOUT = 10.0
#: Stream messages waiting for the UI; when full, the oldest snapshot is dropped first.
STREAM_BUFFER = 64


class LinkError(Exception):
    """The daemon cannot be reached, or the connection broke."""


class CommandError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{reason} (error {code})")
        self.code = code
        self.reason = reason


class ControlClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Reply]] = {}
        self._stream: asyncio.Queue[SnapshotMessage | EventMessage | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.hello: Hello | None = None
        self.closed_because: str | None = None

    @classmethod
    async def connect(cls, path: Path) -> ControlClient:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(str(path), limit=MAX_REPLY_LINE), CONNECT_TIMEOUT
            )
        except FileNotFoundError:
            raise LinkError(f"the daemon is not running (no socket at {path})") from None
        except ConnectionRefusedError:
            raise LinkError(f"the daemon is not running (nothing listens at {path})") from None
        except PermissionError:
            raise LinkError(f"{path}: permission denied; run as the daemon's user") from None
        except (OSError, TimeoutError) as exc:
            raise LinkError(f"{path}: cannot connect: {exc}") from None
        client = cls(reader, writer)
        try:
            hello = parse_server_line(await asyncio.wait_for(reader.readline(), CONNECT_TIMEOUT))
        except (ValueError, OSError, TimeoutError) as exc:
            client._writer.close()
            raise LinkError(f"{path}: no hello from the daemon ({exc})") from None
        if not isinstance(hello, Hello) or hello.protocol not in SUPPORTED_VERSIONS:
            client._writer.close()
            raise LinkError(f"{path}: the daemon speaks another protocol version: {hello}")
        client.hello = hello
        client._task = asyncio.create_task(client._read_loop())
        return client

    async def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        if self.closed_because is not None:
            raise LinkError(self.closed_because)
        request_id = next(self._ids)
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            self._writer.write(request_line(request_id, cmd, args))
            await self._writer.drain()
            reply = await future
        except OSError as exc:
            raise LinkError(f"the connection to the daemon broke: {exc}") from None
        finally:
            self._pending.pop(request_id, None)
        if not reply.ok:
            assert reply.error is not None
            raise CommandError(reply.error.code, reply.error.reason)
        return reply.result or {}

    async def stream(self) -> AsyncIterator[SnapshotMessage | EventMessage]:
        """Snapshots and events until the connection ends (then LinkError)."""
        while True:
            message = await self._stream.get()
            if message is None:
                raise LinkError(self.closed_because or "the daemon closed the connection")
            yield message

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()

    async def _read_loop(self) -> None:
        reason = "the daemon closed the connection"
        try:
            while True:
                line = await self._reader.readline()
                if not line:
                    break
                message = parse_server_line(line)
                if isinstance(message, Reply):
                    future = self._pending.get(message.id) if isinstance(message.id, int) else None
                    if future is not None and not future.done():
                        future.set_result(message)
                elif isinstance(message, SnapshotMessage | EventMessage):
                    self._offer(message)
        except (OSError, ValueError) as exc:
            reason = f"the connection to the daemon broke: {exc}"
        finally:
            self.closed_because = reason
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(LinkError(reason))
            self._stream.put_nowait(None)

    def _offer(self, message: SnapshotMessage | EventMessage) -> None:
        if self._stream.qsize() >= STREAM_BUFFER:
            # The UI is behind: keep events, drop the oldest waiting snapshot.
            items = [self._stream.get_nowait() for _ in range(self._stream.qsize())]
            dropped = False
            for item in items:
                if not dropped and isinstance(item, SnapshotMessage):
                    dropped = True
                    continue
                self._stream.put_nowait(item)
        self._stream.put_nowait(message)
