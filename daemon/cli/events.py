"""``syncwright events [--connection C] [--json]``: subscribe to the running daemon and print
its events as lines (time, connection or system, event, details) until Ctrl-C. Snapshots are
not printed. Handy next to ``journalctl -f``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from syncwright.daemon.cli import connect
from syncwright.daemon.cli.exit_codes import ExitCode
from syncwright.daemon.cli.output import add_json_option, emit_line
from syncwright.daemon.control.blocking_client import BlockingClient
from syncwright.daemon.control.protocol import EventMessage, event_text


def add_parser(sub: Any, default_config: Path) -> None:
    text = "print the daemon's live events as lines until Ctrl-C"
    parser = sub.add_parser("events", help=text, description=text)
    connect.add_socket_options(parser, default_config)
    parser.add_argument("--connection", metavar="CONN", help="only this connection's events")
    add_json_option(parser, "one JSON object per event, one per line,")
    parser.set_defaults(handler=dispatch)


def dispatch(args: argparse.Namespace) -> int:
    with connect.daemon(args) as client:
        return follow(client, connection=args.connection, as_json=args.json)


def event_line(event: EventMessage) -> str:
    stamp = datetime.fromtimestamp(event.at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{stamp} {event_text(event)}"


def follow(
    client: BlockingClient,
    *,
    connection: str | None = None,
    as_json: bool = False,
    out: TextIO = sys.stdout,
) -> int:
    """Print events until the daemon hangs up (NotReachable) or the user presses Ctrl-C."""
    if connection is not None:
        client.call("queue", connection=connection)  # an unknown name fails here, clearly
    client.call("subscribe", detail=True)
    client.stream_mode()
    try:
        while True:
            message = client.receive()
            if not isinstance(message, EventMessage):
                continue
            if connection is not None and message.connection not in (connection, None):
                continue
            if as_json:
                emit_line("events", message.model_dump(exclude_none=True), out)
            else:
                print(event_line(message), file=out, flush=True)
    except (KeyboardInterrupt, BrokenPipeError):  # Ctrl-C, or `| head` has seen enough
        return ExitCode.OK
