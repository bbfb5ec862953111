"""A listener that cannot open its address ends the start with one line: the address, what
is wrong, who holds it (a process this user can see: its PID and command) and what to do."""

from __future__ import annotations

import errno
import subprocess
import sys

import anyio
import pytest
from harness import free_port, wait_until

from syncwright.daemon.ops.listen import ListenFailed, holder_of_port, listening

HOLD = """
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
print("listening", flush=True); time.sleep(120)
"""


def test_a_taken_port_names_the_process_holding_it() -> None:
    port = free_port()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "listening"
        found = wait_until(lambda: holder_of_port(port), timeout=10, message="no holder found")
        assert found.startswith(f"{holder.pid} (") and "-c" in found

        async def start() -> str:
            raise OSError(errno.EADDRINUSE, "Address already in use")

        async def main() -> None:
            with pytest.raises(ListenFailed) as caught:
                await listening(
                    "the webhook receiver", f"127.0.0.1:{port}", "[webhooks] listen", start()
                )
            text = str(caught.value)
            assert "\n" not in text
            assert f"the webhook receiver cannot listen on 127.0.0.1:{port}" in text
            assert f"already in use by process {holder.pid} (" in text
            assert text.endswith("stop that process, or set [webhooks] listen to a free address")

        anyio.run(main)
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_an_error_inside_a_servers_task_group_and_other_causes_are_named() -> None:
    async def grouped() -> str:
        raise ExceptionGroup("server", [OSError(errno.EACCES, "Permission denied")])

    async def other() -> str:
        raise RuntimeError("not a socket problem")

    async def main() -> None:
        with pytest.raises(ListenFailed, match="ports below 1024 need privileges"):
            await listening("the sandbox erp", "127.0.0.1:80", "[sandbox.erp] listen", grouped())
        with pytest.raises(RuntimeError, match="not a socket problem"):
            await listening("the sandbox erp", "127.0.0.1:80", "[sandbox.erp] listen", other())

    anyio.run(main)
