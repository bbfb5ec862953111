"""The TCP listeners the daemon opens at start-up (the embedded sandbox, the webhook receiver):
an address it cannot listen on ends the start with one line saying which address, for what,
who holds it when this user can see that, and what to do (``syncwright run`` exits 1).

Who holds a port is read from Linux's ``/proc``: the listening socket's inode in
``/proc/net/tcp`` (``tcp6``), then the process with a descriptor on it. Other systems, or a
process of another user, give no name; the message then says so.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_PROC = Path("/proc")
_LISTEN = "0A"  # the TCP state LISTEN in /proc/net/tcp


class ListenFailed(Exception):
    """A listener could not open its address; ``str()`` is the one line the operator reads."""

    def __init__(self, what: str, address: str, setting: str, cause: OSError) -> None:
        self.what = what
        self.address = address
        self.cause = cause
        port = address.rpartition(":")[2]
        holder = holder_of_port(int(port)) if port.isdigit() else None
        if cause.errno == errno.EADDRINUSE:
            by = f"process {holder}" if holder else "another process (not one this user can see)"
            problem = f"the address is already in use by {by}"
            todo = f"stop that process, or set {setting} to a free address"
        elif cause.errno == errno.EACCES:
            problem = "permission denied (ports below 1024 need privileges)"
            todo = f"set {setting} to a port above 1023"
        elif cause.errno == errno.EADDRNOTAVAIL:
            problem = "no network interface of this machine has that address"
            todo = f"set {setting} to an address of this machine"
        else:
            problem = cause.strerror or str(cause)
            todo = f"check {setting}"
        super().__init__(f"{what} cannot listen on {address}: {problem}; {todo}")


async def listening(what: str, address: str, setting: str, start: Awaitable[T]) -> T:
    """Await ``start`` (a listener's ``task_group.start(...)``); an OSError from opening its
    socket becomes :class:`ListenFailed` for ``what`` on ``address`` (config key
    ``setting``)."""
    try:
        return await start
    except OSError as exc:
        raise ListenFailed(what, address, setting, exc) from None
    except BaseExceptionGroup as group:  # from a server's own task group
        found: BaseException | None = group.subgroup(OSError)
        while isinstance(found, BaseExceptionGroup):
            found = found.exceptions[0]
        if not isinstance(found, OSError):
            raise
        raise ListenFailed(what, address, setting, found) from None


def holder_of_port(port: int) -> str | None:
    """``"<pid> (<command line>)"`` of the process listening on TCP ``port``, if visible."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (_PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == _LISTEN and fields[1].endswith(f":{port:04X}"):
                inodes.add(fields[9])
    if not inodes:
        return None
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            links = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
        except OSError:  # gone meanwhile, or not ours to look into
            continue
        if links & wanted:
            return f"{entry.name} ({_command(entry)})"
    return None


def _command(proc: Path) -> str:
    try:
        raw = (proc / "cmdline").read_bytes()
    except OSError:
        return "?"
    words = [" ".join(w.decode(errors="replace").split()) for w in raw.split(b"\0") if w]
    # "python -m syncwright run ...": show from the program's name on.
    for i, word in enumerate(words):
        if word.endswith("syncwright") and i + 1 < len(words):
            words = ["syncwright", *words[i + 1 :]]
            break
    text = " ".join(words) or "?"
    return text if len(text) <= 160 else text[:157] + "..."  # the message stays one line
