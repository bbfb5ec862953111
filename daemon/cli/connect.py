"""How the commands for a running daemon reach it: the ``--config``/``--socket`` options, where
the control socket is, and a client whose failures end the command with the right exit code."""

from __future__ import annotations

import argparse
import re
import sys
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
    is at the default, the systemd location is tried too). An invalid config does not stop
    this: the socket setting is read from the file's text alone (see :func:`locate`)."""
    return locate(args)[0]


def locate(args: argparse.Namespace) -> tuple[Path, str | None]:
    """The control socket, and when the config file is invalid (mid-edit, say) what is wrong
    with it. The daemon keeps running on the config it loaded last, so an operator must still
    reach it: the socket is then taken from ``[control] path`` or ``[daemon] control_socket``
    as written in the file (found line by line when the TOML itself does not parse), else the
    runtime directory's default."""
    from syncwright.daemon.config.daemon import SOCKET_NAME, runtime_dir
    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.config.load import load_config

    if args.socket is not None:
        return Path(args.socket), None
    problem: str | None = None
    if Path(args.config).exists():
        try:
            config = load_config(args.config)
        except ConfigError as exc:
            problem = str(exc)
            written = written_socket(Path(args.config))
            if written is not None:
                return written, problem
            path = runtime_dir() / SOCKET_NAME
        else:
            path = config.control_socket_path()
            if config.control.path is not None or config.daemon.control_socket is not None:
                return path, None
    else:
        path = runtime_dir() / SOCKET_NAME
    return (path if path.exists() or not SYSTEMD_SOCKET.exists() else SYSTEMD_SOCKET), problem


_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]")
_SETTING = re.compile(r"""^\s*(path|control_socket)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def written_socket(config_path: Path) -> Path | None:
    """The socket path a config file sets, read without validating the file: from its TOML
    when that parses, else from its lines (``path`` under ``[control]``, ``control_socket``
    under ``[daemon]``). Relative paths are taken from the file's directory, as the config's."""
    import tomllib

    try:
        text = config_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found: dict[str, str] = {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        table = ""
        for line in text.splitlines():
            if head := _TABLE.match(line):
                table = head.group(1)
            elif (setting := _SETTING.match(line)) and table in ("control", "daemon"):
                key = f"{table}.{setting.group(1)}"
                found.setdefault(key, setting.group(2) or setting.group(3) or "")
    else:
        for table, key in (("control", "path"), ("daemon", "control_socket")):
            section = data.get(table)
            if isinstance(section, dict) and isinstance(section.get(key), str):
                found[f"{table}.{key}"] = section[key]
    for key in ("control.path", "daemon.control_socket"):
        value = found.get(key, "").strip()
        if value:
            path = Path(value).expanduser()
            return path if path.is_absolute() else (config_path.absolute().parent / path)
    return None


def find_socket(args: argparse.Namespace) -> Path:
    """:func:`locate`; an invalid config is reported on stderr (the command goes on: the
    running daemon still answers on its socket)."""
    path, problem = locate(args)
    if problem is not None:
        first, *more = problem.splitlines()
        print(
            f"syncwright: warning: the config file is invalid ({first}"
            f"{' ...' if more else ''}); reaching the running daemon at {path}. "
            f"`syncwright check-config {args.config}` lists every problem",
            file=sys.stderr,
        )
    return path


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
        from syncwright.daemon.control.protocol import ErrorCode

        code = ExitCode.PAUSED if exc.code == ErrorCode.PAUSED else ExitCode.REFUSED
        raise CommandError(code, f"syncwright {args.command}: {exc}") from exc
