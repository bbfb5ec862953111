"""Run an ASGI app under uvicorn inside the caller's anyio task group, without its signal handlers.

The embedding process (the daemon, its tests, the benchmark,
``python -m syncwright.connectors.sandbox``) owns the signals; uvicorn only serves. We bind the
socket ourselves, so port 0 works and the caller learns the real port before
``task_status.started`` returns.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Coroutine, Generator
from typing import Any

import anyio
import uvicorn
from anyio.abc import TaskStatus
from starlette.types import ASGIApp

GRACE_SECONDS = 2


class _EmbeddedServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = anyio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn would replace the process's SIGINT/SIGTERM handlers; the embedder owns them.
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.ready.set()

    async def main_loop(self) -> None:
        try:
            await super().main_loop()
        except anyio.get_cancelled_exc_class():
            # Our task group is being cancelled: close connections tidily, then go.
            self.should_exit = True
            with anyio.move_on_after(GRACE_SECONDS + 1, shield=True):
                await self.shutdown()
            raise


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio turns on TCP_NODELAY for accepted connections only then,
    # and without it every keep-alive request waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


async def serve_asgi(
    app: ASGIApp, host: str, port: int, *, task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED
) -> None:
    """Serve ``app`` until cancelled; reports the base URL (with the bound port) once listening."""
    sock = bind(host, port)
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACE_SECONDS,
        server_header=False,
    )
    server = _EmbeddedServer(config)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(server.serve, [sock], name=f"uvicorn {url_of(sock)}")
            await server.ready.wait()
            task_status.started(url_of(sock))
    finally:
        sock.close()


async def serve_with_generator(
    app: ASGIApp,
    generator: Callable[[], Coroutine[Any, Any, None]],
    host: str,
    port: int,
    *,
    name: str,
    generator_name: str,
    task_status: TaskStatus[str],
) -> None:
    """Serve ``app`` (task ``name``) beside its change generator until cancelled."""
    async with anyio.create_task_group() as group:
        group.start_soon(generator, name=generator_name)
        url = await group.start(serve_asgi, app, host, port, name=name)
        task_status.started(url)
