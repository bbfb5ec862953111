"""The control socket's file: mode 0600 (0660 with a group), another user cannot connect,
a stale socket is replaced, a live one is never stolen."""

from __future__ import annotations

import grp
import os
import pwd
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from control_helpers import wait_for_socket, wire
from helpers import sandbox_daemon, write_config

from syncwright.daemon.control.socket_file import (
    SocketSetupError,
    bind,
    clear_stale,
    remove_if_ours,
)

pytestmark = pytest.mark.slow

CONNECT_AS = """
import os, socket, sys
os.setgid({gid}); os.setgroups([]); os.setuid({uid})
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("denied")
else:
    print("connected")
"""


def test_the_socket_is_0600_and_another_user_cannot_connect(daemon_factory: Any) -> None:
    d = daemon_factory()
    mode = stat.S_IMODE(d.socket.stat().st_mode)
    assert mode == 0o600, oct(mode)
    if os.geteuid() != 0:
        pytest.skip("not root: cannot switch to another user here; the mode 0600 was checked")
    nobody = pwd.getpwnam("nobody")
    # nobody must be able to reach the directory, so only the socket's own mode decides.
    os.chmod(d.socket.parent, 0o755)
    code = CONNECT_AS.format(uid=nobody.pw_uid, gid=nobody.pw_gid)
    result = subprocess.run(
        [sys.executable, "-c", code, str(d.socket)], capture_output=True, text=True, timeout=30
    )
    assert result.stdout.strip() == "denied", result.stderr
    # The CLI, as that user, says so plainly and exits 4.
    cli_as = (
        "import os, sys\n"
        "import syncwright.daemon.cli.main as cli\n"
        "import syncwright.daemon.cli.control, syncwright.daemon.config.model\n"
        "import syncwright.daemon.control.blocking_client\n"
        # Build the parser (it imports the subcommands' modules) while still root: nobody
        # may not be able to read this Python's standard library (e.g. under /root/.pyenv).
        "cli.build_parser()\n"
        f"os.setgid({nobody.pw_gid}); os.setgroups([]); os.setuid({nobody.pw_uid})\n"
        "sys.exit(cli.main(['status', '--socket', sys.argv[1]]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", cli_as, str(d.socket)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 4, result.stderr
    assert "permission denied" in result.stderr and "Traceback" not in result.stderr
    assert wire(d.socket).call("status")["ok"]  # the owner still can


def test_a_group_gets_0660(sock_dir: Path) -> None:
    group = grp.getgrgid(os.getgid()).gr_name
    sock, inode = bind(sock_dir / "g.sock", group=group)
    try:
        info = (sock_dir / "g.sock").stat()
        assert stat.S_IMODE(info.st_mode) == 0o660
        assert info.st_gid == os.getgid()
    finally:
        sock.close()
        remove_if_ours(sock_dir / "g.sock", inode)
    assert not (sock_dir / "g.sock").exists()
    with pytest.raises(SocketSetupError, match="does not exist"):
        bind(sock_dir / "h.sock", group="no-such-group-here")


def test_a_stale_socket_is_replaced_and_a_live_one_kept(sock_dir: Path) -> None:
    stale = sock_dir / "stale.sock"
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(stale))
    dead.close()  # the file stays, nobody listens: what a crashed daemon leaves
    clear_stale(stale)
    assert not stale.exists()

    live, inode = bind(sock_dir / "live.sock", group=None)
    try:
        with pytest.raises(SocketSetupError, match="already listening"):
            clear_stale(sock_dir / "live.sock")
        assert (sock_dir / "live.sock").exists()
    finally:
        live.close()
        remove_if_ours(sock_dir / "live.sock", inode)

    plain = sock_dir / "plain"
    plain.write_text("not a socket")
    with pytest.raises(SocketSetupError, match="not a socket"):
        clear_stale(plain)
    assert plain.read_text() == "not a socket"


def test_a_daemon_replaces_a_stale_socket_left_by_a_crash(
    sandbox_factory: Any, tmp_path: Path, sock_dir: Path
) -> None:
    box = sandbox_factory(products=5, variants=1)
    path = sock_dir / "control.sock"
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(path))
    dead.close()
    config = write_config(tmp_path, box, extra=f'\n[control]\npath = "{path}"\n')
    with sandbox_daemon(config).start() as proc:
        try:
            wait_for_socket(path, proc)
            assert wire(path).call("status")["ok"]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    assert not path.exists()
