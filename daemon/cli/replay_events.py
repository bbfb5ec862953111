"""``syncwright replay-events``: mark stored webhook events pending again.

The running daemon's webhook dispatcher (daemon/webhooks/dispatch.py) then turns them into jobs
again, within ``[webhooks] retry_every`` seconds (or on its next start). Event jobs read items
fresh and write only what differs, so replaying is safe: at worst it costs reads.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from syncwright.daemon.cli import offline
from syncwright.daemon.cli.exit_codes import CommandError, ExitCode
from syncwright.daemon.cli.options import add_config_option
from syncwright.daemon.webhooks import inbox


def add_parser(sub: Any, default_config: Path) -> None:
    parser = sub.add_parser(
        "replay-events",
        help="queue stored webhook events again",
        description="Mark stored webhook events pending again, so the daemon turns them into "
        "jobs once more. Without --all, only events received since --since (default: the "
        "last 24 hours).",
    )
    add_config_option(parser, default_config, "the state file")
    parser.add_argument("--system", metavar="NAME", help="only events from this system")
    parser.add_argument("--since", metavar="TIME", help="ISO 8601 time, e.g. 2026-01-31T12:00Z")
    parser.add_argument("--all", action="store_true", help="every stored event")
    parser.set_defaults(handler=dispatch)


def dispatch(args: argparse.Namespace) -> int:
    import time

    return replay(
        args.config, system=args.system, since=args.since, everything=args.all, now=time.time()
    )


def replay(
    path: Path, *, system: str | None, since: str | None, everything: bool, now: float
) -> int:
    config = offline.load(path)
    if system is not None and system not in config.systems:
        raise CommandError(ExitCode.CONFIG, f"{path}: no system named {system!r}")
    try:
        bound = 0.0 if everything else _since(since, now)
    except ValueError as exc:
        raise CommandError(ExitCode.CONFIG, f"--since: {exc}") from exc
    state = config.daemon.state_file
    if not state.exists():
        print(f"{state}: no state file, no events")
        return ExitCode.OK
    with offline.state_file(state, "replay events") as conn:
        with conn:
            count = inbox.replay(conn, bound, system)
    note = "" if config.webhooks.enabled else " ([webhooks] is disabled: they wait for it)"
    print(f"{count} events queued again{note}")
    return ExitCode.OK


def _since(text: str | None, now: float) -> float:
    if text is None:
        return now - 86400.0
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()
