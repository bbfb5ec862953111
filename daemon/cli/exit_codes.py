"""How a ``syncwright`` command ends: the one table of exit statuses (README lists the same),
and the error a command raises to end with one of them and a message."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Success, or a clean stop on SIGTERM/SIGINT."""
    FAILED = 1
    """The daemon failed at run time, or an offline command could not finish its work."""
    CONFIG = 2
    """A usage or configuration error."""
    STATE = 3
    """The state file cannot be used: written by a newer Syncwright, no copy before a
    migration could be made, another daemon runs on it, or its path cannot hold it (under a
    regular file, not writable)."""
    UNREACHABLE = 4
    """The daemon is not running, or its control socket is not accessible to this user."""
    REFUSED = 5
    """The daemon refused the command (or the item it synced went dead, or the source does
    not have it)."""
    PAUSED = 6
    """The connection is paused, or paused because its authentication failed: nothing was
    queued."""


class CommandError(Exception):
    """Ends a command: ``main`` prints the message on stderr and exits with the code."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Unreachable(CommandError):
    """No daemon answers on the control socket (a command may fall back to offline work)."""

    def __init__(self, message: str) -> None:
        super().__init__(ExitCode.UNREACHABLE, message)
