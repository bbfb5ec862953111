"""The ``syncwright`` command line: run the daemon, check a config, forget a removed
connection, print the version; the commands for a running daemon live in cli_control.py.

Exit status: 0 success; 1 the daemon failed at run time; 2 usage or configuration error;
3 the state file cannot be used (for example written by a newer Syncwright); 4 the daemon is
not running or its control socket is not accessible; 5 the daemon refused a command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syncwright.daemon.config.model import Config

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_STATE = 0, 1, 2, 3


def package_version() -> str:
    try:
        return version("syncwright")
    except PackageNotFoundError:
        return "0+unknown"


def _parser() -> argparse.ArgumentParser:
    from syncwright.daemon.config.load import default_config_path

    default = default_config_path()
    parser = argparse.ArgumentParser(
        prog="syncwright",
        description="Keep a back office and its sales channels in step, within every API's budget.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        help="run the daemon in the foreground",
        description="Run the daemon in the foreground until SIGTERM or SIGINT. "
        "SIGHUP reloads the config file.",
    )
    run.add_argument(
        "--config",
        "-c",
        type=Path,
        default=default,
        metavar="PATH",
        help=f"config file (default: {default})",
    )
    run.add_argument(
        "--until-idle",
        action="store_true",
        help="burst mode: queue one round of pulls, run until no job is left, exit",
    )

    check = sub.add_parser(
        "check-config",
        help="validate a config file and summarise it",
        description="Validate a config file (and that its credentials "
        "resolve) and print a summary. Exit 2 when invalid.",
    )
    check.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=default,
        metavar="PATH",
        help=f"config file (default: {default})",
    )

    forget = sub.add_parser(
        "forget",
        help="delete a removed connection's state and sync log",
        description="Delete everything the state file holds for CONNECTION: jobs, cursors, "
        "links, item and stock state, audit records, sync log and full-sync runs. Remove the "
        "connection from the config first; a running daemon drops it on SIGHUP (systemctl "
        "reload), after which forgetting it is safe while the daemon runs.",
    )
    forget.add_argument("connection", metavar="CONNECTION")
    forget.add_argument(
        "--config",
        "-c",
        type=Path,
        default=default,
        metavar="PATH",
        help=f"config file naming the state file (default: {default})",
    )
    forget.add_argument(
        "--force",
        action="store_true",
        help="forget it although the config still has it (it starts again from scratch)",
    )

    forget.add_argument(
        "--daemon",
        action="store_true",
        help="ask the running daemon to forget it, over the control socket",
    )
    forget.add_argument("--socket", type=Path, metavar="PATH", help="the control socket")

    from syncwright.daemon.cli.replay_events import add_parser as add_replay

    add_replay(sub)  # replay-events (daemon/cli/replay_events.py)

    sub.add_parser("version", help="print the version", description="Print the version.")

    from syncwright.daemon.cli import ops as cli_ops

    cli_ops.add_commands(sub, default)
    # Commands for a running daemon, over its control socket (daemon/cli/control.py).
    from syncwright.daemon.cli import control as cli_control

    cli_control.add_commands(sub, default)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "version":
        print(f"syncwright {package_version()}")
        return EXIT_OK
    if args.command == "check-config":
        return check_config(args.path)
    if args.command == "forget":
        if args.daemon:
            from syncwright.daemon.cli.control import forget_via_daemon

            return forget_via_daemon(args)
        return forget(args.config, args.connection, force=args.force)
    if args.command == "replay-events":
        import time

        from syncwright.daemon.cli.replay_events import replay

        return replay(
            args.config, system=args.system, since=args.since, everything=args.all, now=time.time()
        )

    from syncwright.daemon.cli import control as cli_control

    if args.command in cli_control.COMMANDS:
        return cli_control.main(args)
    if args.command == "run":
        return run(args.config, until_idle=args.until_idle)
    from syncwright.daemon.cli import ops as cli_ops

    if args.command in cli_ops.COMMANDS:
        return cli_ops.dispatch(args)
    return EXIT_CONFIG  # pragma: no cover - argparse rejects unknown commands first


def check_config(path: Path) -> int:
    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.config.load import load_config
    from syncwright.daemon.config.secrets import resolve_secrets
    from syncwright.daemon.config.summary import summarize

    try:
        config = load_config(path)
        resolve_secrets(config)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    print(summarize(config))
    rotations = ghost_rotations(config)
    if rotations:
        print("\nGhost sweep rotation (links in the state file / batch x interval):")
        print("\n".join(rotations))
    from syncwright.daemon.cli.ops import plan_summary

    print("\n" + plan_summary(config))
    print(f"\n{path}: OK")
    return EXIT_OK


def ghost_rotations(config: Config) -> list[str]:
    """How long one full ghost-sweep rotation takes per connection at the current settings,
    counting the links in the state file (read-only; nothing when there is none yet)."""
    import sqlite3

    from syncwright.daemon.durations import format_duration
    from syncwright.daemon.flows.ghost import rotation_seconds

    state = config.daemon.state_file
    if not state.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5)
        try:
            counts = dict(
                conn.execute(
                    "SELECT connection, count(*) FROM links WHERE entity = 'product'"
                    " GROUP BY connection"
                ).fetchall()
            )
        finally:
            conn.close()
    except sqlite3.Error:
        return []
    lines = []
    for name, conn_cfg in config.connections.items():
        links, schedule = counts.get(name, 0), conn_cfg.schedule
        seconds = rotation_seconds(links, schedule.ghost_batch, schedule.ghost_interval)
        lines.append(
            f"  {name}: {links} links / {schedule.ghost_batch} every "
            f"{format_duration(schedule.ghost_interval)} -> every item re-verified within "
            f"{format_duration(seconds) if seconds else 'n/a'}"
        )
    return lines


def forget(path: Path, connection: str, *, force: bool = False) -> int:
    import sqlite3

    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.config.load import load_config
    from syncwright.daemon.ops.backup import BackupError
    from syncwright.daemon.store.db import open_migrated
    from syncwright.daemon.store.migrations import SchemaTooNew
    from syncwright.daemon.synclog import forget_connection

    try:
        config = load_config(path)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    if connection in config.connections and not force:
        print(
            f"{path}: the connection {connection!r} is still in the config. Remove it there "
            "(and reload a running daemon with SIGHUP), then forget it; --force forgets it "
            "anyway, and the daemon then syncs it again from scratch",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    state = config.daemon.state_file
    if not state.exists():
        print(f"{state}: no state file, nothing to forget")
        return EXIT_OK
    try:
        conn = open_migrated(state)
    except (SchemaTooNew, BackupError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_STATE
    except sqlite3.Error as exc:
        print(f"{state}: could not forget {connection!r}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("BEGIN IMMEDIATE")  # one transaction: all of it goes, or nothing
        try:
            deleted = forget_connection(conn, connection)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        print(f"{state}: could not forget {connection!r}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        conn.close()
    total = sum(deleted.values())
    detail = ", ".join(f"{table} {n}" for table, n in deleted.items() if n)
    print(f"forgot {connection!r}: {total} rows deleted" + (f" ({detail})" if detail else ""))
    return EXIT_OK


def run(path: Path, *, until_idle: bool = False) -> int:
    import anyio
    import structlog

    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.config.load import load_config
    from syncwright.daemon.logs import structured as logs
    from syncwright.daemon.ops.backup import BackupError
    from syncwright.daemon.store.migrations import SchemaTooNew
    from syncwright.daemon.supervisor import Supervisor

    try:
        config = load_config(path)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    supervisor = Supervisor(config, path, burst=until_idle)
    # Lines logged outside the daemon's own context (after it stopped) are redacted too.
    logs.configure(config.daemon.log_level, config.daemon.log_format, redactor=supervisor.redactor)
    log = structlog.get_logger("syncwright")
    log.info("daemon.starting", version=package_version(), config=str(path))
    from syncwright.daemon.gctune import tune

    tune()
    try:
        try:
            anyio.run(supervisor.run, backend="asyncio")
        except BaseExceptionGroup as group:
            raise _sole(group) from group
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    except SchemaTooNew as exc:
        log.error("store.refused", error=str(exc))
        return EXIT_STATE
    except BackupError as exc:  # no backup before a migration: nothing was changed
        log.error("store.backup_failed", error=str(exc))
        return EXIT_STATE
    except KeyboardInterrupt:
        return EXIT_OK
    except Exception:
        log.exception("daemon.failed")
        return EXIT_FAILED
    return EXIT_OK


def _sole(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The one real error inside nested task-group wrappers, or the group itself."""
    exc: BaseException = group
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


if __name__ == "__main__":
    raise SystemExit(main())
