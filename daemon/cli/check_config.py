"""``syncwright check-config``: validate a config file as ``run`` would at start-up (every
credential it reads, the sandbox's included, and a usable state file path) and print a
summary, each connection's ghost-sweep rotation, the worst-case time to notice a deletion and
the budget plan."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncwright.daemon.cli import offline
from syncwright.daemon.cli.exit_codes import CommandError, ExitCode
from syncwright.daemon.cli.output import add_json_option, emit

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
    add_json_option(parser, "the verdict, the systems, connections and plan")
    parser.set_defaults(handler=lambda args: check_config(args.path, as_json=args.json))


def check_config(path: Path, *, as_json: bool = False) -> int:
    from syncwright.daemon.config.summary import summarize
    from syncwright.daemon.ops.planner import format_report
    from syncwright.daemon.ops.planner_history import offline_report
    from syncwright.daemon.store.usable import StateUnusable, problem_with

    if as_json:
        return _check_json(path)
    config = offline.load(path, secrets=True)
    # What `run` would refuse next (exit 3): a state file path it cannot create or write.
    state = config.daemon.state_file
    problem = problem_with(state)
    if problem is not None:
        raise CommandError(ExitCode.STATE, str(StateUnusable(state, problem)))
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


def _check_json(path: Path) -> int:
    """check-config --json: ``ok``, ``path``, and either ``problems`` (each with ``path``, the
    dotted key, ``message`` and ``value``, null when hidden) or the config's ``systems``,
    ``connections`` and budget ``plan``. Never a secret: credentials are named, not shown."""
    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.config.load import load_config
    from syncwright.daemon.config.startup import check_startup
    from syncwright.daemon.ops.planner_history import offline_report
    from syncwright.daemon.store.usable import StateUnusable, problem_with

    try:
        config = load_config(path)
        check_startup(config)  # what `run` checks at start-up, as the text form does
    except ConfigError as exc:
        problems = [{"path": p.path, "message": p.message, "value": p.value} for p in exc.problems]
        data = {"ok": False, "path": str(path), "exit": int(ExitCode.CONFIG), "error": str(exc)}
        print(exc, file=sys.stderr)
        emit("check-config", {**data, "problems": problems})
        return ExitCode.CONFIG
    problem = problem_with(config.daemon.state_file)
    if problem is not None:
        message = str(StateUnusable(config.daemon.state_file, problem))
        print(message, file=sys.stderr)
        emit(
            "check-config",
            {"ok": False, "path": str(path), "exit": int(ExitCode.STATE), "error": message},
        )
        return ExitCode.STATE
    systems = {
        name: {
            "kind": system.kind,
            "url": str(system.url),
            "credentials": sorted(system.credentials),
            "budget": {
                window: {"limit": w.limit, "mode": w.mode}
                for window, w in system.budget.windows.items()
            },
        }
        for name, system in config.systems.items()
    }
    connections = {
        name: {"source": c.source, "channel": c.channel, "flows": list(c.flows)}
        for name, c in config.connections.items()
    }
    data = {"ok": True, "path": str(path), "systems": systems, "connections": connections}
    # The worst-case time to notice a deletion by absence, one line per connection.
    data["deletions"] = [line.strip() for line in deletion_bounds(config, link_counts(config))]
    emit("check-config", {**data, "plan": offline_report(config).to_json()})
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
