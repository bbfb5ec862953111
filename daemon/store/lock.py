"""One process at a time per state file: an exclusive lock on a file beside it.

``syncwright run`` takes the lock before anything reads or writes the state file (before the
copy and migrations, before crash recovery) and holds it until it exits; a second daemon on
the same file stops at once with exit status 3, naming the holder's PID, and changes nothing.
The lock is ``flock`` on ``<state file>.lock``, which holds the holder's PID and command: the
kernel drops it when the holder dies, however it dies, so a stale lock file is never in the way.

The offline commands that write (``forget``, ``replay-events``) go through
:func:`open_for_offline_write`: with the lock free they hold it while they migrate and write;
while a daemon holds it they make their single transaction through SQLite's own locking, and
only if the file already has this build's schema (they never migrate a file in use).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from syncwright.daemon.store.db import StateConnection, connect_sync, open_migrated
from syncwright.daemon.store.migrations import SCHEMA_VERSION, SchemaTooNew
from syncwright.daemon.store.usable import unusable


class StateLocked(Exception):
    """Another process holds the state file's lock (exit status 3)."""

    def __init__(self, state: Path, holder: str | None, advice: str) -> None:
        self.state = state
        #: "<pid> <command>" as the holder wrote it; None when it could not be read.
        self.holder = holder
        self.pid = _pid(holder)
        who = f"process {self.pid} ({holder.partition(' ')[2] or 'syncwright'})" if holder else None
        super().__init__(
            f"{state}: in use by {who or 'another process'} (lock {lock_path(state)}); {advice}"
        )


def lock_path(state: Path) -> Path:
    return state.with_name(state.name + ".lock")


class StateLock:
    """A held lock; :meth:`release` (or process exit) lets the next process in."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def acquire(state: Path, command: str, *, advice: str | None = None) -> StateLock:
    """Take the lock of ``state`` for ``command`` (shown to whoever finds it taken), creating
    the state file's directory if needed. Raises :class:`StateLocked` when it is held, and
    :class:`StateUnusable` when the lock file cannot be made there."""
    path = lock_path(state)
    try:
        state.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:  # a path under a file, a read-only directory: named, exit 3
        raise unusable(state, exc) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read(fd)
        os.close(fd)
        raise StateLocked(
            state,
            holder,
            advice
            or "one daemon at a time per state file: stop the other one, or give this one a "
            "state_file of its own",
        ) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()} {command}\n".encode(), 0)
    return StateLock(path, fd)


def holder_of(state: Path) -> str | None:
    """What the lock file says about its holder (``"<pid> <command>"``), None without one."""
    try:
        fd = os.open(lock_path(state), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return _read(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def open_for_offline_write(state: Path, command: str) -> Iterator[StateConnection]:
    """A write connection to ``state`` for an offline command (see the module docstring).

    Raises SchemaTooNew, BackupError and sqlite3.Error like :func:`open_migrated`, and
    :class:`StateLocked` when a daemon holds the file and its schema is not this build's."""
    try:
        lock: StateLock | None = acquire(state, command)
    except StateLocked:
        lock = None
    try:
        if lock is not None:
            conn = open_migrated(state)
        else:
            conn = connect_sync(state)
            try:
                (version,) = conn.execute("PRAGMA user_version").fetchone()
            except BaseException:
                conn.close()
                raise
            if version != SCHEMA_VERSION:
                conn.close()
                if version > SCHEMA_VERSION:
                    raise SchemaTooNew(
                        f"{state}: schema version {version} is newer than this Syncwright "
                        f"knows ({SCHEMA_VERSION}); use the Syncwright that wrote it"
                    )
                raise StateLocked(
                    state,
                    holder_of(state),
                    f"its schema (version {version}) must be migrated to {SCHEMA_VERSION} "
                    "first, which needs the daemon stopped: stop it, run this command, then "
                    "start the daemon of this version",
                )
        try:
            yield conn
        finally:
            conn.close()
    finally:
        if lock is not None:
            lock.release()


def _read(fd: int) -> str | None:
    text = os.pread(fd, 200, 0).decode(errors="replace").strip()
    return text or None


def _pid(holder: str | None) -> int | None:
    head = (holder or "").partition(" ")[0]
    return int(head) if head.isdigit() else None
