"""What the commands that work without a daemon share: load the config, open the state file
with its migrations, and turn what goes wrong there into an exit code and a message."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from syncwright.daemon.cli.exit_codes import CommandError, ExitCode

if TYPE_CHECKING:
    from syncwright.daemon.config.model import Config


def load(path: Path, *, secrets: bool = False) -> Config:
    """The config at ``path`` (with every credential ``run`` reads resolved, when
    ``secrets``); an invalid one ends the command with :attr:`ExitCode.CONFIG` and every
    problem named."""
    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.config.load import load_config
    from syncwright.daemon.config.startup import check_startup

    try:
        config = load_config(path)
        if secrets:  # what `run` checks at start-up: credentials, the sandbox's directory
            check_startup(config)
    except ConfigError as exc:
        raise CommandError(ExitCode.CONFIG, str(exc)) from exc
    return config


@contextmanager
def state_file(path: Path, doing: str) -> Iterator[sqlite3.Connection]:
    """A writable connection to the state file at ``path`` that waits up to 10 s for the
    daemon's writes; closed afterwards. The state file's lock (daemon/store/lock.py) is held
    meanwhile when no daemon runs, and only then is the file migrated first (after a copy of
    the old file); beside a running daemon the file must already have this build's schema.

    A schema newer than this build, no copy before a migration, a daemon running on a file
    of another schema, or a path that cannot hold the file (daemon/store/usable.py) ends the
    command with :attr:`ExitCode.STATE`; an SQLite error, in
    opening or in the block, with :attr:`ExitCode.FAILED` and "PATH: could not DOING: error".
    """
    from syncwright.daemon.ops.backup import BackupError
    from syncwright.daemon.store.lock import StateLocked, open_for_offline_write
    from syncwright.daemon.store.migrations import SchemaTooNew
    from syncwright.daemon.store.usable import StateUnusable, problem_with

    def failed(exc: sqlite3.Error) -> CommandError:
        return CommandError(ExitCode.FAILED, f"{path}: could not {doing}: {exc}")

    try:
        with open_for_offline_write(path, f"syncwright: {doing}") as conn:
            conn.execute("PRAGMA busy_timeout = 10000")
            yield conn
    except (SchemaTooNew, BackupError, StateLocked, StateUnusable) as exc:
        raise CommandError(ExitCode.STATE, str(exc)) from exc
    except sqlite3.Error as exc:
        problem = problem_with(path)  # e.g. a read-only directory: no -wal file can be made
        if problem is not None:
            raise CommandError(ExitCode.STATE, str(StateUnusable(path, problem))) from exc
        raise failed(exc) from exc
