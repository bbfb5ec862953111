"""The daemon as a process, written once for every test that runs one: a config file beside its
state file, ``syncwright run`` in the foreground or the background with its JSON log, the
``syncwright`` command line, server processes that print where they listen, and the one way
the tests wait for something (:func:`wait_until`, and :func:`async_wait_until` in a loop)."""

from __future__ import annotations

import inspect
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")

# -- waiting --------------------------------------------------------------------------------------

Message = str | Callable[[], str] | None


class _Deadline:
    """When a wait gives up, and what it says then (a callable message is read at that moment,
    e.g. the tail of a log; without one, the last ignored error is raised again)."""

    def __init__(
        self, timeout: float, message: Message, ignoring: tuple[type[Exception], ...]
    ) -> None:
        self.timeout = timeout
        self.at = time.monotonic() + timeout
        self.message = message
        self.ignoring = ignoring
        self.last: Exception | None = None

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """One call of the check: an error of the ignored types only means "not yet"."""
        try:
            yield
        except self.ignoring as exc:
            self.last = exc

    def give_up_when_passed(self) -> None:
        if time.monotonic() < self.at:
            return
        if self.message is None:
            raise self.last or AssertionError(f"condition not met in {self.timeout:g} s")
        text = self.message() if callable(self.message) else self.message
        raise AssertionError(text) from self.last


def wait_until(
    check: Callable[[], T],
    *,
    timeout: float,
    message: Message = None,
    interval: float = 0.1,
    ignoring: tuple[type[Exception], ...] = (),
) -> T:
    """Call ``check`` every ``interval`` seconds until it returns something true, and return
    that. Errors of the ``ignoring`` types count as "not yet". After ``timeout`` seconds raise
    AssertionError(message), or the last ignored error when there is no message."""
    deadline = _Deadline(timeout, message, ignoring)
    while True:
        with deadline.attempt():
            if value := check():
                return value
        deadline.give_up_when_passed()
        time.sleep(interval)


async def async_wait_until(
    check: Callable[[], T | Awaitable[T]],
    *,
    timeout: float,  # noqa: ASYNC109 - wait_until's arguments; a failure says what was awaited
    message: Message = None,
    interval: float = 0.1,
    ignoring: tuple[type[Exception], ...] = (),
    pause: Callable[[float], Awaitable[Any]] | None = None,
) -> T:
    """:func:`wait_until` inside an event loop: ``check`` may be a coroutine function, and the
    loop waits with ``pause`` (anyio.sleep unless given, e.g. a Textual pilot's pause)."""
    import anyio

    deadline = _Deadline(timeout, message, ignoring)
    while True:
        with deadline.attempt():
            value = check()
            if value := (await value if inspect.isawaitable(value) else value):
                return value
        deadline.give_up_when_passed()
        await (pause or anyio.sleep)(interval)


# -- config ---------------------------------------------------------------------------------------

#: What every daemon the tests start has in common: the state file in state/ beside the config,
#: JSON log lines (the tests read them), and no embedded sandbox.
DAEMON = """
[daemon]
state_file = "state/state.db"
log_format = "json"
log_level = "info"
shutdown_grace = "10s"

[sandbox]
enabled = false
"""


def config_file(folder: Path, body: str, *, head: str = "") -> Path:
    """``folder/config.toml``: ``head``, the common :data:`DAEMON` sections, then ``body`` (the
    systems and connections; both are dedented)."""
    path = folder / "config.toml"
    path.write_text(textwrap.dedent(head) + DAEMON + textwrap.dedent(body))
    return path


def state_db(config: Path) -> Path:
    """The state file of a daemon run on ``config`` (where :data:`DAEMON` puts it)."""
    return config.parent / "state" / "state.db"


def log_path(config: Path) -> Path:
    """Where :meth:`Daemon.start` writes the daemon's output: daemon.log beside the config."""
    return config.parent / "daemon.log"


def log_events(log: Path, event: str | None = None) -> list[dict[str, Any]]:
    """The JSON records of a daemon log (those named ``event``, when given), in order."""
    text = log.read_text() if log.exists() else ""
    lines = text.splitlines()
    records = []
    for n, line in enumerate(lines, 1):
        if not line.startswith("{"):
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if n == len(lines) and not text.endswith("\n"):
                break  # the daemon is still writing this line
            raise
    return [r for r in records if event is None or r.get("event") == event]


# -- processes ------------------------------------------------------------------------------------


def stop_process(
    proc: subprocess.Popen[Any], sig: int = signal.SIGTERM, timeout: float = 30
) -> int:
    """Send ``sig`` (when it still runs) and wait; killed when it does not end within
    ``timeout``. Its exit status (negative: the signal that ended it)."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def start_listening(
    command: list[str], log: Path, what: str, timeout: float = 60
) -> tuple[subprocess.Popen[str], str]:
    """Start a server that prints ``listening on URL`` on stdout (stderr goes to ``log``);
    the process and the URL once it has said so."""
    with log.open("a") as err:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT)
    assert proc.stdout is not None
    out = proc.stdout
    said: list[str] = []

    def listening() -> str | None:
        line = out.readline()
        said.append(line)
        if line.startswith("listening on "):
            return line.split()[-1].strip()
        if not line and proc.poll() is not None:
            raise RuntimeError(f"{what} did not start: {said[-1]!r} {log.read_text()[-2000:]}")
        return None

    try:
        url = wait_until(
            listening,
            timeout=timeout,
            interval=0,
            message=lambda: f"{what} did not start: {said[-1]!r} {log.read_text()[-2000:]}",
        )
    except BaseException:
        proc.kill()
        proc.wait()
        out.close()
        raise
    return proc, url


def free_port() -> int:
    """A loopback port nobody listens on right now (for listeners that need a fixed one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def syncwright(
    *args: str, env: Mapping[str, str] | None = None, timeout: float | None = 60
) -> subprocess.CompletedProcess[str]:
    """One ``syncwright`` command as an operator runs it; its exit status and output."""
    return subprocess.run(
        [sys.executable, "-m", "syncwright", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=None if env is None else dict(env),
    )


# -- the daemon -----------------------------------------------------------------------------------


@dataclass
class Daemon:
    """``syncwright run`` on one config file, with ``env`` added to this process's environment
    (the credentials the config names)."""

    config: Path
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def log_path(self) -> Path:
        return log_path(self.config)

    def command(self, *extra: str) -> list[str]:
        return [sys.executable, "-m", "syncwright", "run", "--config", str(self.config), *extra]

    def environ(self, **extra: str) -> dict[str, str]:
        return {**os.environ, **self.env, **extra}

    def run(
        self, *extra: str, timeout: float = 90, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run it in the foreground to its end (``--until-idle`` in ``extra`` for burst mode)."""
        return subprocess.run(
            self.command(*extra),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.environ(**(env or {})),
            cwd=ROOT,
        )

    def run_ok(self, *, timeout: float = 90, tail: int = 3000) -> str:
        """``syncwright run --until-idle`` must succeed; its log (stderr)."""
        result = self.run("--until-idle", timeout=timeout)
        assert result.returncode == 0, result.stderr[-tail:]
        return result.stderr

    def start(self, *extra: str, env: Mapping[str, str] | None = None) -> DaemonProcess:
        """Start it in the background, its output appended to :attr:`log_path`."""
        return DaemonProcess(self, extra, env)

    def _popen(self, *extra: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
        with self.log_path.open("a") as log:
            return subprocess.Popen(
                self.command(*extra),
                stdout=log,
                stderr=log,
                text=True,
                env=self.environ(**(env or {})),
                cwd=ROOT,
            )


class DaemonProcess:
    """A daemon running in the background. As a context manager it is killed on the way out
    if it still runs (a test that failed half-way leaves no daemon behind)."""

    def __init__(
        self, daemon: Daemon, extra: tuple[str, ...], env: Mapping[str, str] | None
    ) -> None:
        self.daemon = daemon
        self._start = (extra, env)
        self.proc = daemon._popen(*extra, env=env)

    @property
    def config(self) -> Path:
        return self.daemon.config

    def __enter__(self) -> DaemonProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def running(self) -> bool:
        return self.proc.poll() is None

    def send_signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """Its exit status once it has ended (after a signal sent with :meth:`send_signal`)."""
        return self.proc.wait(timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send ``sig`` and wait (killed after ``timeout``); the exit status, 0 for a clean stop."""
        return stop_process(self.proc, sig, timeout)

    def restart(self) -> None:
        """Start it again, with the same command line and environment (after :meth:`stop`)."""
        assert not self.running(), "stop it first"
        extra, env = self._start
        self.proc = self.daemon._popen(*extra, env=env)

    def log(self) -> str:
        path = self.daemon.log_path
        return path.read_text() if path.exists() else ""

    def events(self, event: str | None = None) -> list[dict[str, Any]]:
        return log_events(self.daemon.log_path, event)

    def wait_for_event(
        self, event: str, *, count: int = 1, timeout: float = 30, interval: float = 0.05
    ) -> list[dict[str, Any]]:
        """Every ``event`` record of the log once there are ``count`` of them."""

        def found() -> list[dict[str, Any]]:
            records = self.events(event)
            return records if len(records) >= count else []

        what = event if count == 1 else f"{count} x {event}"
        return wait_until(
            found,
            timeout=timeout,
            interval=interval,
            message=lambda: f"no {what} in the log:\n{self.log()[-3000:]}",
        )
