"""``syncwright check-config``: validate a config file (its credentials included) and print a
summary, each connection's ghost-sweep rotation, the worst-case time to notice a deletion and
the budget plan."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncwright.daemon.cli import offline
from syncwright.daemon.cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from syncwright.daemon.config.model import Config


def add_parser(sub: Any, default_config: Path) -> None:
    parser = sub.add_parser(
        "check-config",
        help="validate a config file and summarise it",
        description="Validate a config file (and that its credentials "
        "resolve) and print a summary. Exit 2 when invalid.",
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

    config = offline.load(path, secrets=True)
    print(summarize(config))
    counts = link_counts(config)
    rotations = ghost_rotations(config, counts)
    if rotations:
        print("\nGhost sweep rotation (links in the state file / batch x interval):")
        print("\n".join(rotations))
    print("\nDeletions that show only as absence are noticed (worst case):")
    print("\n".join(deletion_bounds(config, counts)))
    # The planner's offline report: what the schedules cost and whether they fit.
    print("\n" + format_report(offline_report(config)))
    print(f"\n{path}: OK")
    return ExitCode.OK


def deletion_bounds(config: Config, counts: dict[str, int] | None) -> list[str]:
    """Per connection, the worst-case time to notice a product deleted by absence."""
    from syncwright.connectors.registry import kind
    from syncwright.daemon.flows.deletions import deletion_bound, describe

    lines = []
    for name, conn in config.connections.items():
        source = kind(config.systems[conn.source].kind)
        bound = deletion_bound(
            flows=conn.flows,
            audit=conn.pull_mode == "audit",
            recent=conn.schedule.recent,
            lists_ids=source.product_ids,
            deletions=conn.schedule.deletions,
            full=conn.schedule.full,
            links=(counts or {}).get(name),
            ghost_batch=conn.schedule.ghost_batch,
            ghost_interval=conn.schedule.ghost_interval,
        )
        lines.append(f"  {name}: {describe(bound)}")
    return lines


def ghost_rotations(config: Config, counts: dict[str, int] | None) -> list[str]:
    """How long one full ghost-sweep rotation takes per connection at the current settings,
    counting the links in the state file (nothing when there is none yet)."""
    from syncwright.daemon.durations import format_duration
    from syncwright.daemon.flows.ghost import rotation_seconds

    if counts is None:
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


def link_counts(config: Config) -> dict[str, int] | None:
    """Linked products per connection in the state file (read-only); None without one."""
    import sqlite3

    state = config.daemon.state_file
    if not state.exists():
        return None
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
        return None
    return counts
