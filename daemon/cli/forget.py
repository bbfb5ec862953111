"""``syncwright forget CONNECTION``: delete what the state file holds for a connection removed
from the config, in one transaction; with ``--daemon`` the running daemon does it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from syncwright.daemon.cli import connect, offline
from syncwright.daemon.cli.exit_codes import CommandError, ExitCode
from syncwright.daemon.cli.options import add_config_option


def add_parser(sub: Any, default_config: Path) -> None:
    parser = sub.add_parser(
        "forget",
        help="delete a removed connection's state and sync log",
        description="Delete everything the state file holds for CONNECTION: jobs, cursors, "
        "links, item and stock state, audit records, sync log and full-sync runs. Remove the "
        "connection from the config first; a running daemon drops it on SIGHUP (systemctl "
        "reload), after which forgetting it is safe while the daemon runs.",
    )
    parser.add_argument("connection", metavar="CONNECTION")
    add_config_option(parser, default_config, "the state file")
    parser.add_argument(
        "--force",
        action="store_true",
        help="forget it although the config still has it (it starts again from scratch)",
    )
    parser.add_argument(
        "--daemon",
        action="store_true",
        help="ask the running daemon to forget it, over the control socket",
    )
    parser.add_argument("--socket", type=Path, metavar="PATH", help="the control socket")
    parser.set_defaults(handler=dispatch)


def dispatch(args: argparse.Namespace) -> int:
    if args.daemon:
        return forget_via_daemon(args)
    return forget(args.config, args.connection, force=args.force)


def forget(path: Path, connection: str, *, force: bool = False) -> int:
    from syncwright.daemon import synclog_mirror as mirror
    from syncwright.daemon.synclog import forget_connection

    config = offline.load(path)
    if connection in config.connections and not force:
        raise CommandError(
            ExitCode.CONFIG,
            f"{path}: the connection {connection!r} is still in the config. Remove it there "
            "(and reload a running daemon with SIGHUP), then forget it; --force forgets it "
            "anyway, and the daemon then syncs it again from scratch",
        )
    state = config.daemon.state_file
    if not state.exists():
        print(f"{state}: no state file, nothing to forget")
        return ExitCode.OK
    with offline.state_file(state, f"forget {connection!r}") as conn:
        channels = mirror.channels_of(conn, connection)
        _forget_remote(path, channels)
        conn.execute("BEGIN IMMEDIATE")  # one transaction: all of it goes, or nothing
        try:
            deleted = forget_connection(conn, connection)
            for channel in channels:  # the site's logs are gone: others mirror theirs again
                mirror.forget_channel(conn, channel)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    total = sum(deleted.values())
    detail = ", ".join(f"{table} {n}" for table, n in deleted.items() if n)
    print(f"forgot {connection!r}: {total} rows deleted" + (f" ({detail})" if detail else ""))
    return ExitCode.OK


def _forget_remote(path: Path, channels: list[str]) -> None:
    """Delete the sync logs the connection mirrored to its channels (SparkLayer's, by site)
    first: when that fails nothing is forgotten here, so running forget again retries."""
    if not channels:
        return
    import anyio

    from syncwright.connectors.base import Connector, OpenGate
    from syncwright.connectors.registry import build
    from syncwright.daemon.config.secrets import resolve_secrets
    from syncwright.daemon.runtime import system_spec
    from syncwright.daemon.synclog_mirror import forget_remote

    config = offline.load(path, secrets=True)
    secrets = resolve_secrets(config)
    built: dict[str, Connector | None] = {
        name: build(system_spec(config, name, secrets), OpenGate())
        if name in config.systems
        else None
        for name in channels
    }

    async def main() -> dict[str, str]:
        try:
            return await forget_remote(built)
        finally:
            for connector in built.values():
                if connector is not None:
                    await connector.aclose()

    failed = anyio.run(main)
    if failed:
        detail = "; ".join(f"{name}: {why}" for name, why in failed.items())
        raise CommandError(
            ExitCode.FAILED,
            f"the sync logs mirrored to {', '.join(failed)} could not be deleted ({detail}); "
            "nothing was forgotten, run forget again",
        )
    print(f"deleted the sync logs on {', '.join(channels)}")


def forget_via_daemon(args: argparse.Namespace) -> int:
    """``syncwright forget CONN --daemon``: the running daemon forgets it."""
    with connect.daemon(args) as client:
        print(client.call("forget", connection=args.connection)["message"])
    return ExitCode.OK
