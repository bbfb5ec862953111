"""How the commands for a running daemon reach it: the ``--config``/``--socket`` options, where
the control socket is, and a client whose failures end the command with the right exit code."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from syncwright.daemon.cli.exit_codes import CommandError, ExitCode, Unreachable
from syncwright.daemon.cli.options import add_config_option

if TYPE_CHECKING:
    from syncwright.daemon.control.blocking_client import BlockingClient

#: Where systemd's ``RuntimeDirectory=syncwright`` puts the daemon's socket. A shell does not
#: have the daemon's $RUNTIME_DIRECTORY, so the CLI also looks here.
SYSTEMD_SOCKET = Path("/run/syncwright/control.sock")


def add_socket_options(parser: argparse.ArgumentParser, default_config: Path) -> None:
    add_config_option(parser, default_config, "the control socket")
    parser.add_argument("--socket", type=Path, metavar="PATH", help="the control socket itself")


def socket_path(args: argparse.Namespace) -> Path:
    """--socket; else the config's control socket (when the config does not set one and none
    is at the default, the systemd location is tried too). An invalid config raises
    ConfigError."""
    from syncwright.daemon.config.daemon import SOCKET_NAME, runtime_dir
    from syncwright.daemon.config.load import load_config

    if args.socket is not None:
        return Path(args.socket)
    if Path(args.config).exists():
        config = load_config(args.config)
        path = config.control_socket_path()
        if config.control.path is not None or config.daemon.control_socket is not None:
            return path
    else:
        path = runtime_dir() / SOCKET_NAME
    return path if path.exists() or not SYSTEMD_SOCKET.exists() else SYSTEMD_SOCKET


def find_socket(args: argparse.Namespace) -> Path:
    """:func:`socket_path`; an invalid config ends the command with :attr:`ExitCode.CONFIG`."""
    from syncwright.daemon.config.errors import ConfigError

    try:
        return socket_path(args)
    except ConfigError as exc:
        raise CommandError(ExitCode.CONFIG, str(exc)) from exc


@contextmanager
def daemon(args: argparse.Namespace) -> Iterator[BlockingClient]:
    """A client of the running daemon. No daemon (or no access to its socket) ends the command
    with :class:`Unreachable`; a refused request with :attr:`ExitCode.REFUSED` and the
    daemon's reason."""
    from syncwright.daemon.control.blocking_client import (
        BlockingClient,
        CommandFailed,
        NotReachable,
    )

    path = find_socket(args)
    try:
        with BlockingClient(path) as client:
            yield client
    except NotReachable as exc:
        raise Unreachable(f"syncwright: {exc}") from exc
    except CommandFailed as exc:
        raise CommandError(ExitCode.REFUSED, f"syncwright {args.command}: {exc}") from exc
