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
    """The config at ``path`` (with every credential resolved, when ``secrets``); an invalid
    one ends the command with :attr:`ExitCode.CONFIG` and every problem named."""
    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.config.load import load_config
    from syncwright.daemon.config.secrets import resolve_secrets

    try:
        config = load_config(path)
        if secrets:
            resolve_secrets(config)
    except ConfigError as exc:
        raise CommandError(ExitCode.CONFIG, str(exc)) from exc
    return config


@contextmanager
def state_file(path: Path, doing: str) -> Iterator[sqlite3.Connection]:
    """A writable connection to the state file at ``path``, migrated first (after a copy of
    the old file), that waits up to 10 s for the daemon's writes; closed afterwards.

    A schema newer than this build, or no copy before a migration, ends the command with
    :attr:`ExitCode.STATE`; an SQLite error, in opening or in the block, with
    :attr:`ExitCode.FAILED` and "PATH: could not DOING: error".
    """
    from syncwright.daemon.ops.backup import BackupError
    from syncwright.daemon.store.db import open_migrated
    from syncwright.daemon.store.migrations import SchemaTooNew

    def failed(exc: sqlite3.Error) -> CommandError:
        return CommandError(ExitCode.FAILED, f"{path}: could not {doing}: {exc}")

    try:
        conn = open_migrated(path)
    except (SchemaTooNew, BackupError) as exc:
        raise CommandError(ExitCode.STATE, str(exc)) from exc
    except sqlite3.Error as exc:
        raise failed(exc) from exc
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        yield conn
    except sqlite3.Error as exc:
        raise failed(exc) from exc
    finally:
        conn.close()
