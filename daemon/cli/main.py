"""The ``syncwright`` command line: the parser built from one module per command or command
group, and the dispatch to the chosen command's handler.

Exit status (daemon/cli/exit_codes.py): 0 success; 1 the daemon failed at run time; 2 usage
or configuration error; 3 the state file cannot be used (for example written by a newer
Syncwright); 4 the daemon is not running or its control socket is not accessible; 5 the
daemon refused a command; 6 the connection is paused or its authentication failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from syncwright.daemon.cli import (
    backup,
    budget,
    check_config,
    control,
    events,
    forget,
    item,
    plan,
    probe,
    replay_events,
    run,
    tui,
    version,
)
from syncwright.daemon.cli.exit_codes import CommandError

#: Every command's module, in the order ``--help`` lists them. Each one's ``add_parser`` adds
#: its subcommands and sets ``handler``, the function that runs one.
COMMANDS = (
    run,
    check_config,
    forget,
    replay_events,
    version,
    backup,
    control,
    item,
    plan,
    probe,
    budget,
    tui,
    events,
)


def build_parser() -> argparse.ArgumentParser:
    from syncwright.daemon.config.load import default_config_path

    default = default_config_path()
    parser = argparse.ArgumentParser(
        prog="syncwright",
        description="Keep a back office and its sales channels in step, within every API's budget.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.add_parser(sub, default)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except CommandError as exc:
        print(exc.message, file=sys.stderr)
        if getattr(args, "json", False):
            from syncwright.daemon.cli.output import emit_failure

            emit_failure(args.command, int(exc.code), exc.message)
        return int(exc.code)


if __name__ == "__main__":
    raise SystemExit(main())
