"""Creating the control socket safely: private directory, mode 0600 (0660 with a group),
a stale socket from a crashed daemon replaced, a live one never stolen.

The socket is bound under a temporary name, given its mode and group, set listening and only
then renamed into place, so no one ever finds it at its path with looser permissions.
"""

from __future__ import annotations

import contextlib
import errno
import grp
import os
import socket
import stat
from pathlib import Path

#: sun_path holds 108 bytes on Linux, including the terminating NUL.
MAX_PATH_BYTES = 107


class SocketSetupError(Exception):
    """The control socket cannot be created; the message says why and what to do."""


def prepare_directory(directory: Path, *, private: bool) -> None:
    """Create ``directory`` (0700 when it is ours to make). A shared fallback directory must
    belong to this user and let no one else in."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise SocketSetupError(
            f"{directory}: cannot create the control socket's directory: {exc.strerror}. "
            "Set [control] path to a writable location"
        ) from exc
    if not private:
        return
    info = directory.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise SocketSetupError(
            f"{directory}: the control socket's directory must belong to this user with mode "
            "0700; it does not, so another user could reach the socket. Remove it or set "
            "[control] path"
        )


def group_id(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise SocketSetupError(
            f"[control] group {name!r} does not exist; create it or remove the setting"
        ) from None


def clear_stale(path: Path) -> None:
    """Remove a socket nobody listens on; refuse when a daemon answers or it is not a socket."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise SocketSetupError(
            f"{path}: exists and is not a socket; it is left alone. Remove it or set [control] path"
        )
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2.0)
    try:
        probe.connect(str(path))
    except OSError as exc:
        if exc.errno not in (errno.ECONNREFUSED, errno.ENOENT):
            raise SocketSetupError(f"{path}: cannot check the existing socket: {exc}") from exc
        path.unlink(missing_ok=True)  # stale: its daemon is gone
        return
    finally:
        probe.close()
    raise SocketSetupError(
        f"{path}: another Syncwright daemon is already listening here. Stop it, or give "
        "this one its own [control] path"
    )


def bind(path: Path, *, group: str | None, backlog: int = 64) -> tuple[socket.socket, int]:
    """A listening Unix socket at ``path`` with mode 0600, or 0660 owned by ``group``, and
    the inode of its file (to remove only our own socket on shutdown)."""
    if len(os.fsencode(path)) > MAX_PATH_BYTES:
        raise SocketSetupError(
            f"{path}: too long for a Unix socket path ({MAX_PATH_BYTES} bytes at most); "
            "set a shorter [control] path"
        )
    gid = group_id(group) if group else None
    clear_stale(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    temporary.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(temporary))
        # Nobody can connect before listen(); tighten the mode first.
        os.chmod(temporary, 0o660 if gid is not None else 0o600)
        if gid is not None:
            os.chown(temporary, -1, gid)
        sock.listen(backlog)
        os.replace(temporary, path)
        inode = path.lstat().st_ino
    except OSError as exc:
        sock.close()
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise SocketSetupError(f"{path}: cannot create the control socket: {exc}") from exc
    sock.setblocking(False)
    return sock, inode


def remove_if_ours(path: Path, inode: int) -> None:
    """Unlink ``path`` on shutdown unless another daemon has replaced it meanwhile."""
    with contextlib.suppress(OSError):
        if path.lstat().st_ino == inode:
            path.unlink()
