"""``syncwright backup PATH``: a consistent copy of the state file through SQLite's online
backup, safe while the daemon runs and writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from syncwright.daemon.cli import offline
from syncwright.daemon.cli.exit_codes import CommandError, ExitCode
from syncwright.daemon.cli.options import add_config_option


def add_parser(sub: Any, default_config: Path) -> None:
    parser = sub.add_parser(
        "backup",
        help="copy the state file consistently, also while the daemon runs",
        description="Write a consistent copy of the state file to PATH (a file, or a directory "
        "for a dated copy) using SQLite's online backup: safe while the daemon runs and writes. "
        "Restore by stopping the daemon and putting the copy in place of the state file.",
    )
    parser.add_argument("path", type=Path, metavar="PATH")
    add_config_option(parser, default_config, "the state file")
    parser.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    parser.set_defaults(handler=lambda args: backup(args.config, args.path, force=args.force))


def backup(config_path: Path, target: Path, *, force: bool = False) -> int:
    from syncwright.daemon.ops.backup import BackupError, backup_file

    config = offline.load(config_path)
    try:
        result = backup_file(config.daemon.state_file, target, overwrite=force)
    except BackupError as exc:
        raise CommandError(ExitCode.FAILED, str(exc)) from exc
    print(
        f"backed up {config.daemon.state_file} to {result.path} "
        f"({result.size} bytes, schema version {result.schema_version}, "
        f"{result.seconds:.2f}s)"
    )
    return ExitCode.OK
