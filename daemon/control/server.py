"""The control server: a Unix socket inside the supervisor's task group, one session per
client, and one publisher that builds a snapshot at most every 500 ms (only while someone
subscribes) and offers it, with the events since the last one, to every subscriber.

Building the snapshot is shared by all clients, and offering it never waits on one, so a slow
or stuck client cannot slow the daemon. The interval stretches to four times the build time
when a snapshot gets expensive.
"""

from __future__ import annotations

import json
import tempfile
import time
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import structlog
from anyio.abc import SocketListener, SocketStream, TaskStatus
from pydantic import ValidationError

from syncwright.daemon.control import socket_file
from syncwright.daemon.control.commands import COMMANDS
from syncwright.daemon.control.commands.base import Call
from syncwright.daemon.control.context import ControlContext
from syncwright.daemon.control.events import diff
from syncwright.daemon.control.feed import LineCache, encode_event
from syncwright.daemon.control.protocol import (
    PROTOCOL_VERSION,
    ControlError,
    ErrorCode,
    Hello,
    Reply,
    Request,
    Snapshot,
    SnapshotMessage,
    encode,
    error_reply,
    ok_reply,
)
from syncwright.daemon.control.session import ClientSession
from syncwright.daemon.control.snapshot import SnapshotBuilder

if TYPE_CHECKING:
    from syncwright.daemon.supervisor import Supervisor

log = structlog.get_logger("syncwright.control")

SNAPSHOT_INTERVAL = 0.5
#: A cached snapshot younger than this is good enough for a new subscriber.
FRESH = 1.0


class ControlServer:
    def __init__(
        self, supervisor: Supervisor, version: str, *, interval: float = SNAPSHOT_INTERVAL
    ) -> None:
        self.ctx = ControlContext(supervisor, supervisor.clock.now(), version)
        #: The daemon's event hub, which subscribing sessions follow.
        self.hub = supervisor.hub
        self.interval = interval
        self.sessions: set[ClientSession] = set()
        self.path: Path | None = None
        self._builder = SnapshotBuilder(self.ctx)
        self._numbers = count(1)
        self._seq = 0
        self._last: tuple[float, bytes, Snapshot] | None = None
        self._prev: Snapshot | None = None

    async def serve(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        config = self.ctx.config
        self.path = path = config.control_socket_path()
        fallback = Path(tempfile.gettempdir())
        try:
            socket_file.prepare_directory(path.parent, private=path.parent.parent == fallback)
            sock, inode = socket_file.bind(path, group=config.control.group)
        except socket_file.SocketSetupError as exc:
            # The daemon keeps syncing without its control socket; the operator is told why.
            log.error("control.unavailable", error=str(exc))
            task_status.started()
            return
        listener = await SocketListener.from_socket(sock)
        log.info(
            "control.listening",
            path=str(path),
            mode="0660" if config.control.group else "0600",
            group=config.control.group,
        )
        try:
            async with listener, anyio.create_task_group() as tg:
                tg.start_soon(self._publish, name="control.publisher")
                task_status.started()
                while True:
                    try:
                        await listener.serve(self._handle)
                    except* OSError as group:  # e.g. out of file descriptors: the daemon goes on
                        log.error("control.accept_failed", error=str(group.exceptions[0]))
                    await anyio.sleep(1.0)
        finally:
            socket_file.remove_if_ours(path, inode)
            self._builder.close()

    # -- clients ---------------------------------------------------------------------------

    async def _handle(self, stream: SocketStream) -> None:
        hello = encode(Hello(protocol=PROTOCOL_VERSION, daemon=self.ctx.version, pid=self.ctx.pid))
        if len(self.sessions) >= self.ctx.config.control.max_clients:
            refusal = error_reply(
                None,
                ErrorCode.TOO_MANY_CLIENTS,
                f"{len(self.sessions)} clients are connected, the most [control] max_clients "
                "allows; close one",
            )
            try:
                with anyio.move_on_after(2):
                    await stream.send(hello + encode(refusal))
            except (anyio.BrokenResourceError, OSError):
                pass
            await stream.aclose()
            return
        session = ClientSession(self, stream, next(self._numbers))
        self.sessions.add(session)
        try:
            await session.run(hello)
        except Exception:  # one client's trouble must never reach the daemon
            session.log.exception("control.session_failed")
        finally:
            self.sessions.discard(session)

    async def dispatch(self, session: ClientSession, line: bytes) -> Reply:
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as exc:
            return error_reply(None, ErrorCode.BAD_JSON, f"not valid JSON: {exc}"[:300])
        if not isinstance(data, dict):
            return error_reply(None, ErrorCode.BAD_REQUEST, "a request is a JSON object")
        raw_id = data.get("id")
        valid_id = isinstance(raw_id, int) or (isinstance(raw_id, str) and len(raw_id) <= 128)
        rid = raw_id if valid_id and not isinstance(raw_id, bool) else None
        try:
            request = Request.model_validate(data)
        except ValidationError as exc:
            return error_reply(rid, ErrorCode.BAD_REQUEST, _explain(exc))
        command = COMMANDS.get(request.cmd)
        if command is None:
            known = ", ".join(sorted(COMMANDS))
            return error_reply(
                request.id,
                ErrorCode.UNKNOWN_COMMAND,
                f"unknown command {request.cmd[:64]!r}; known: {known}",
            )
        try:
            args = command.args.model_validate(request.args)
        except ValidationError as exc:
            return error_reply(request.id, ErrorCode.BAD_REQUEST, f"{request.cmd}: {_explain(exc)}")
        try:
            result = await command.run(Call(self.ctx, session), args)
        except ControlError as exc:
            return error_reply(request.id, exc.code, exc.reason)
        except Exception as exc:
            session.log.exception("control.command_failed", cmd=request.cmd)
            return error_reply(
                request.id, ErrorCode.INTERNAL, f"{request.cmd} failed in the daemon: {exc}"
            )
        return ok_reply(request.id, result)

    # -- the subscription ------------------------------------------------------------------

    async def current_snapshot(self) -> bytes | None:
        """A snapshot line for a new subscriber: the cached one when fresh, else a new one."""
        if self._last is not None and time.monotonic() - self._last[0] < FRESH:
            _, line, snap = self._last
        else:
            try:
                snap = await self._builder.build()
            except ControlError:
                return None
            line = self._remember(snap)
        if self._prev is None:  # the baseline for the events of the next snapshot
            self._prev = snap
        return line

    def _remember(self, snap: Snapshot) -> bytes:
        self._seq += 1
        line = encode(SnapshotMessage(seq=self._seq, data=snap))
        self._last = (time.monotonic(), line, snap)
        return line

    async def _publish(self) -> None:
        interval = self.interval
        while True:
            await anyio.sleep(interval)
            subscribers = [s for s in self.sessions if s.subscribed]
            if not subscribers:
                self._prev = None
                continue
            started = time.monotonic()
            try:
                snap = await self._builder.build()
            except ControlError:
                continue
            except Exception:
                log.exception("control.snapshot_failed")
                interval = max(5.0, self.interval)
                continue
            interval = max(self.interval, 4 * (time.monotonic() - started))
            changes = diff(self._prev, snap) if self._prev else []
            self._prev = snap
            line = self._remember(snap)
            cache = LineCache()
            plain = [encode_event(e, detailed=False) for e in changes]
            rich = [encode_event(e, detailed=True) for e in changes]
            for session in subscribers:
                feed = session.feed.drain() if session.feed is not None else []
                detailed = session.detailed
                lines = [cache.line(e, detailed=detailed) for e in feed]
                session.offer(line, lines + (rich if detailed else plain))


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "request"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)[:500]
