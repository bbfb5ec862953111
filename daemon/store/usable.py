"""Whether this process can use a state file path, and if not, a sentence saying why.

``syncwright run`` and the offline commands end with exit status 3 and that sentence when the
state file cannot be created or opened for writing (a path under a regular file, a read-only
directory or file system, a directory where the file should be); ``check-config`` asks the
same question before a daemon would.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

#: What to do, whatever the problem.
ADVICE = "set [daemon] state_file to a path this user can write, or fix the path's permissions"


class StateUnusable(Exception):
    """The state file cannot be used at this path (exit status 3); ``str()`` names the path,
    what is wrong and what to do."""

    def __init__(self, state: Path, problem: str) -> None:
        self.state = state
        self.problem = problem
        super().__init__(f"{state}: the state file cannot be used: {problem}; {ADVICE}")


def problem_with(state: Path) -> str | None:
    """What keeps this process from creating or writing ``state``; None when nothing does
    (as far as the file system tells before trying)."""
    existing = state
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():
            return f"{existing} is a symbolic link to nowhere"
        existing = existing.parent
    if existing == state:
        if not state.is_file():
            return "it exists and is not a regular file"
        for path in (state, *(state.with_name(state.name + s) for s in ("-wal", "-shm"))):
            if path.exists() and not os.access(path, os.R_OK | os.W_OK):
                return f"{path} is not writable by this user ({_who()})"
        directory = state.parent
    elif not existing.is_dir():
        return f"{existing} is a file, not a directory"
    else:
        directory = existing
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"the directory {directory} is not writable by this user ({_who()})"
    return None


def directory_problem(directory: Path) -> str | None:
    """What keeps this process from creating ``directory`` (or writing in it); None when
    nothing does (the sandbox's ``data_dir``)."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"the directory {existing} is not writable by this user ({_who()})"
    return None


def unusable(state: Path, error: OSError | Exception) -> StateUnusable:
    """The error to end with when opening ``state`` failed with ``error``: the problem the
    file system shows, else the error's own words."""
    found = problem_with(state)
    if found is None and isinstance(error, OSError):
        if error.errno == errno.EROFS:
            found = "the file system is read-only"
        elif error.errno in (errno.ENOTDIR, errno.EEXIST):
            found = "a part of its path is a file, not a directory"
        else:
            found = error.strerror or str(error)
    return StateUnusable(state, found or str(error))


def _who() -> str:
    return f"uid {os.geteuid()}"
