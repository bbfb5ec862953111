"""sd_notify against a real daemon process: a datagram socket stands in for systemd."""

from __future__ import annotations

import os
import signal
import socket
import time
import uuid
from pathlib import Path

import pytest
from harness import DaemonProcess, wait_until
from helpers import sandbox_daemon

pytestmark = pytest.mark.slow


def idle_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[daemon]\nstate_file = "state/state.db"\nlog_format = "json"\n'
        'shutdown_grace = "5s"\n[sandbox]\nenabled = false\n'
    )
    return path


class Listener:
    """A bound datagram socket that collects what the daemon sends."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.settimeout(0.2)
        self.messages: list[dict[str, str]] = []

    def wait_for(self, key: str, timeout: float = 30, after: int = 0) -> dict[str, str]:
        """The first message (from index ``after`` on) that has ``key``."""

        def received() -> dict[str, str] | None:
            for message in self.messages[after:]:
                if key in message:
                    return message
            data = self.sock.recv(4096)  # a TimeoutError after 0.2 s: nothing yet
            self.messages.append(dict(line.split("=", 1) for line in data.decode().splitlines()))
            return None

        return wait_until(
            received,
            timeout=timeout,
            interval=0,
            ignoring=(TimeoutError,),
            message=lambda: f"no {key}= within {timeout}s; got {self.messages}",
        )


def start(config: Path, notify: str, **extra_env: str) -> DaemonProcess:
    return sandbox_daemon(config).start(env={"NOTIFY_SOCKET": notify, **extra_env})


def test_ready_watchdog_reload_and_stop_reach_the_notify_socket(tmp_path: Path) -> None:
    path = tmp_path / "n.sock"
    assert len(str(path)) < 100, "AF_UNIX paths are limited to 108 bytes"
    listener = Listener(str(path))
    config = idle_config(tmp_path)
    with start(config, str(path), WATCHDOG_USEC="1000000") as proc:
        try:
            ready = listener.wait_for("READY")
            assert ready["READY"] == "1"
            assert ready["STATUS"] == "idle: no connections configured"
            assert (tmp_path / "state" / "state.db").exists(), "READY before the store was opened"
            first = len(listener.messages)
            listener.wait_for("WATCHDOG", after=first)
            second = len(listener.messages)
            assert listener.wait_for("WATCHDOG", after=second)["WATCHDOG"] == "1"

            before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
            mark = len(listener.messages)
            proc.send_signal(signal.SIGHUP)
            reloading = listener.wait_for("RELOADING", after=mark)
            assert reloading["RELOADING"] == "1"
            assert int(reloading["MONOTONIC_USEC"]) >= before
            again = listener.messages.index(reloading) + 1
            assert listener.wait_for("READY", after=again)["READY"] == "1"

            mark = len(listener.messages)
            proc.send_signal(signal.SIGTERM)
            assert listener.wait_for("STOPPING", after=mark)["STOPPING"] == "1"
            assert proc.wait(timeout=30) == 0
        finally:
            listener.sock.close()


def test_abstract_socket_and_a_vanished_listener_do_not_stop_the_daemon(tmp_path: Path) -> None:
    name = f"@syncwright-test-{uuid.uuid4().hex}"
    listener = Listener("\0" + name[1:])
    config = idle_config(tmp_path)
    with start(config, name, WATCHDOG_USEC="400000") as proc:
        assert listener.wait_for("READY")["READY"] == "1"
        listener.sock.close()  # systemd "goes away": sends now fail
        proc.wait_for_event("sdnotify.failed", timeout=30)  # the next watchdog ping failed
        assert proc.running(), "a failing notify socket must not stop the daemon"
        assert proc.stop(timeout=30) == 0
    log = proc.log()
    assert log.count("sdnotify.failed") == 1, log[-2000:]


def test_without_notify_socket_nothing_is_sent(tmp_path: Path) -> None:
    from syncwright.daemon.sdnotify import SdNotify

    sd = SdNotify({})
    assert not sd.enabled and not sd.send(READY=1)
    sd = SdNotify({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "1"})
    assert sd.watchdog_interval is None, "WATCHDOG_PID names another process"
    pid = str(os.getpid())
    sd = SdNotify({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": pid})
    assert sd.watchdog_interval == 3.0
