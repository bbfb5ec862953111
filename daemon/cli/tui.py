"""``syncwright tui``: the terminal UI on the running daemon. The UI runs as its own program
(``python -m syncwright.tui``), so the daemon package never imports it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from syncwright.daemon.cli import connect
from syncwright.daemon.cli.exit_codes import ExitCode


def add_parser(sub: Any, default_config: Path) -> None:
    text = "open the terminal UI on the running daemon"
    parser = sub.add_parser("tui", help=text, description=text)
    connect.add_socket_options(parser, default_config)
    parser.set_defaults(handler=open_tui)


def open_tui(args: argparse.Namespace) -> int:
    path = connect.find_socket(args)
    argv = [sys.executable, "-m", "syncwright.tui", "--socket", str(path)]
    try:
        os.execv(sys.executable, argv)
    except OSError as exc:
        print(f"syncwright tui: cannot start the terminal UI: {exc}", file=sys.stderr)
    return ExitCode.CONFIG
