"""Consistent copies of the state file: ``syncwright backup PATH`` and the automatic copy taken
before a schema migration.

Both use SQLite's online backup API in one step, which reads one committed snapshot of the
database while the daemon keeps writing (WAL mode: readers never block the writer). The copy is
written to a temporary name beside the target, checked with ``PRAGMA quick_check`` and renamed
into place, so a copy that exists is always complete.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger("syncwright.backup")


class BackupError(RuntimeError):
    """The copy could not be made; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int
    schema_version: int
    seconds: float


def _stamp(now: float | None = None) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))


def backup_file(state: Path, target: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the state file ``state`` to ``target`` (a file, or a directory to put a dated copy
    in) while other processes may be writing it."""
    started = time.monotonic()
    if not state.is_file():
        raise BackupError(f"{state}: no state file to back up (has the daemon ever run?)")
    if target.is_dir():
        target = target / f"{state.stem}-{_stamp()}{state.suffix or '.db'}"
    if target.exists() and not overwrite:
        raise BackupError(f"{target}: already exists; choose another name or use --force")
    if target.absolute() == state.absolute():
        raise BackupError(f"{target}: that is the state file itself; choose another path")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such directory")
    try:
        source = sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise BackupError(f"{state}: cannot open the state file: {exc}") from None
    try:
        return _copy(source, target, started)
    except sqlite3.Error as exc:
        raise BackupError(f"{state}: backup to {target} failed: {exc}") from None
    finally:
        source.close()


def backup_connection(source: sqlite3.Connection, target: Path) -> BackupResult:
    """Copy an open database (the daemon's own connection, before migrating) to ``target``."""
    return _copy(source, target, time.monotonic())


def _copy(source: sqlite3.Connection, target: Path, started: float) -> BackupResult:
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        dest = sqlite3.connect(str(partial))
        try:
            source.backup(dest)  # pages=-1: the whole database from one snapshot
            (check,) = dest.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise BackupError(f"{target}: the copy failed its integrity check: {check}")
            (version,) = dest.execute("PRAGMA user_version").fetchone()
            # A single self-contained file: no -wal beside it is needed to read the copy.
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, int(version), time.monotonic() - started)


def before_migration(conn: sqlite3.Connection, path: Path, latest: int) -> Path | None:
    """Back up an existing state file that is about to be migrated; the copy's path, or None
    when there is nothing to migrate (or nothing yet to keep: a new, empty file)."""
    (current,) = conn.execute("PRAGMA user_version").fetchone()
    if current == 0 or current >= latest:
        return None
    target = path.with_name(f"{path.name}.pre-v{latest}-{_stamp()}.bak")
    try:
        result = backup_connection(conn, target)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(
            f"{path}: could not write the backup {target} before migrating the state file from "
            f"schema version {current} to {latest}: {exc}; nothing was changed. Free disk "
            "space or fix the directory's permissions, then start again"
        ) from None
    log.info(
        "store.backed_up",
        path=str(result.path),
        schema_version=current,
        reason=f"before migrating to schema version {latest}",
        bytes=result.size,
    )
    return result.path
