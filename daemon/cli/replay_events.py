"""``syncwright replay-events``: mark stored webhook events pending again.

The running daemon's webhook dispatcher (daemon/webhooks/dispatch.py) then turns them into jobs
again, within ``[webhooks] retry_every`` seconds (or on its next start). Event jobs read items
fresh and write only what differs, so replaying is safe: at worst it costs reads.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from syncwright.daemon.config.load import default_config_path

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_STATE = 0, 1, 2, 3


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    default = default_config_path()
    replay = sub.add_parser(
        "replay-events",
        help="queue stored webhook events again",
        description="Mark stored webhook events pending again, so the daemon turns them into "
        "jobs once more. Without --all, only events received since --since (default: the "
        "last 24 hours).",
    )
    replay.add_argument("--config", "-c", type=Path, default=default, metavar="PATH")
    replay.add_argument("--system", metavar="NAME", help="only events from this system")
    replay.add_argument("--since", metavar="TIME", help="ISO 8601 time, e.g. 2026-01-31T12:00Z")
    replay.add_argument("--all", action="store_true", help="every stored event")


def replay(
    path: Path, *, system: str | None, since: str | None, everything: bool, now: float
) -> int:
    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.config.load import load_config
    from syncwright.daemon.ops.backup import BackupError
    from syncwright.daemon.store.db import open_migrated
    from syncwright.daemon.store.migrations import SchemaTooNew
    from syncwright.daemon.webhooks import inbox

    try:
        config = load_config(path)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    if system is not None and system not in config.systems:
        print(f"{path}: no system named {system!r}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        bound = 0.0 if everything else _since(since, now)
    except ValueError as exc:
        print(f"--since: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    state = config.daemon.state_file
    if not state.exists():
        print(f"{state}: no state file, no events")
        return EXIT_OK
    try:
        conn = open_migrated(state)
    except (SchemaTooNew, BackupError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_STATE
    except sqlite3.Error as exc:
        print(f"{state}: could not replay events: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        with conn:
            count = inbox.replay(conn, bound, system)
    except sqlite3.Error as exc:
        print(f"{state}: could not replay events: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        conn.close()
    note = "" if config.webhooks.enabled else " ([webhooks] is disabled: they wait for it)"
    print(f"{count} events queued again{note}")
    return EXIT_OK


def _since(text: str | None, now: float) -> float:
    if text is None:
        return now - 86400.0
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()
