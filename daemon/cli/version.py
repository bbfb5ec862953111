"""``syncwright version``, and the version the daemon reports to its clients."""

from __future__ import annotations

import argparse
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from syncwright.daemon.cli.exit_codes import ExitCode
from syncwright.daemon.cli.output import add_json_option, emit


def package_version() -> str:
    try:
        return version("syncwright")
    except PackageNotFoundError:
        return "0+unknown"


def add_parser(sub: Any, default_config: Path) -> None:
    parser = sub.add_parser("version", help="print the version", description="Print the version.")
    add_json_option(parser, "the version")
    parser.set_defaults(handler=show)


def show(args: argparse.Namespace) -> int:
    from syncwright.daemon.control.protocol import PROTOCOL_VERSION

    if args.json:
        emit("version", {"version": package_version(), "protocol": PROTOCOL_VERSION})
    else:
        print(f"syncwright {package_version()}")
    return ExitCode.OK
