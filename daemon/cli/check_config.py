"""``syncwright check-config``: validate a config file as ``run`` would at start-up (every
credential it reads, the sandbox's included, and a usable state file path) and print a
summary, each connection's ghost-sweep rotation and the budget plan."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncwright.daemon.cli import offline
from syncwright.daemon.cli.exit_codes import CommandError, ExitCode

if TYPE_CHECKING:
    from syncwright.daemon.config.model import Config


def add_parser(sub: Any, default_config: Path) -> None:
    parser = sub.add_parser(
        "check-config",
        help="validate a config file and summarise it",
        description="Validate a config file (and that its credentials "
        "resolve) and print a summary. Exit 2 when invalid, 3 when the state file's path "
        "cannot be used.",
    )
    parser.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=default_config,
        metavar="PATH",
        help=f"config file (default: {default_config})",
    )
    parser.set_defaults(handler=lambda args: check_config(args.path))


def check_config(path: Path) -> int:
    from syncwright.daemon.config.summary import summarize
    from syncwright.daemon.ops.planner import format_report
    from syncwright.daemon.ops.planner_history import offline_report
    from syncwright.daemon.store.usable import StateUnusable, problem_with

    config = offline.load(path, secrets=True)
    # What `run` would refuse next (exit 3): a state file path it cannot create or write.
    state = config.daemon.state_file
    problem = problem_with(state)
    if problem is not None:
        raise CommandError(ExitCode.STATE, str(StateUnusable(state, problem)))
    print(summarize(config))
    rotations = ghost_rotations(config)
    if rotations:
        print("\nGhost sweep rotation (links in the state file / batch x interval):")
        print("\n".join(rotations))
    # The planner's offline report: what the schedules cost and whether they fit.
    print("\n" + format_report(offline_report(config)))
    print(f"\n{path}: OK")
    return ExitCode.OK


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
