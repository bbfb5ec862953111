"""The operations commands of the ``syncwright`` command line: ``backup``, and the offline
``budget`` report (the command itself is registered in daemon/cli/control.py).

Registered by daemon/cli/main.py through :func:`add_commands` and :func:`dispatch`; both work on the
config and the state file directly, so they need no running daemon (and no control socket).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syncwright.daemon.config.model import Config

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
COMMANDS = ("backup",)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser], default: Path) -> None:
    backup = sub.add_parser(
        "backup",
        help="copy the state file consistently, also while the daemon runs",
        description="Write a consistent copy of the state file to PATH (a file, or a directory "
        "for a dated copy) using SQLite's online backup: safe while the daemon runs and writes. "
        "Restore by stopping the daemon and putting the copy in place of the state file.",
    )
    backup.add_argument("path", type=Path, metavar="PATH")
    backup.add_argument(
        "--config",
        "-c",
        type=Path,
        default=default,
        metavar="PATH",
        help=f"config file naming the state file (default: {default})",
    )
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")


def dispatch(args: argparse.Namespace) -> int:
    return backup(args.config, args.path, force=args.force)


def backup(config_path: Path, target: Path, *, force: bool = False) -> int:
    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.config.load import load_config
    from syncwright.daemon.ops.backup import BackupError, backup_file

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    try:
        result = backup_file(config.daemon.state_file, target, overwrite=force)
    except BackupError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILED
    print(
        f"backed up {config.daemon.state_file} to {result.path} "
        f"({result.size} bytes, schema version {result.schema_version}, "
        f"{result.seconds:.2f}s)"
    )
    return EXIT_OK


def budget(config_path: Path, *, as_json: bool = False) -> int:
    """``syncwright budget --offline`` (and the fallback when no daemon answers): the planner
    computed from the config and the state file."""
    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.config.load import load_config
    from syncwright.daemon.ops.planner import format_report
    from syncwright.daemon.ops.planner_history import offline_report

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    report = offline_report(config)
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(format_report(report))
    return EXIT_OK


def plan_summary(config: Config) -> str:
    """The planner's offline report, for ``check-config``: schedule costs and whether they fit."""
    from syncwright.daemon.ops.planner import format_report
    from syncwright.daemon.ops.planner_history import offline_report

    return format_report(offline_report(config))
