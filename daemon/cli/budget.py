"""``syncwright budget``: every system's call budget per window and the budget plan, from the
running daemon; ``--offline`` (or when no daemon answers) the plan from the config and the
state file alone."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from syncwright.daemon.cli import connect, offline
from syncwright.daemon.cli.exit_codes import ExitCode, Unreachable
from syncwright.daemon.cli.output import add_json_option, emit
from syncwright.daemon.cli.text import table


def add_parser(sub: Any, default_config: Path) -> None:
    text = (
        "show every system's call budget per window and the budget plan: burn rates, when "
        "windows run out, what the schedules cost per day, and warnings when they do not fit"
    )
    parser = sub.add_parser("budget", help=text, description=text)
    connect.add_socket_options(parser, default_config)
    add_json_option(parser, "the budgets and the plan")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="compute the plan from the config and the state file; no running daemon needed",
    )
    parser.set_defaults(handler=dispatch)


def dispatch(args: argparse.Namespace) -> int:
    if args.offline:
        return offline_budget(args.config, as_json=args.json)
    try:
        return live_budget(args)
    except Unreachable as exc:  # the plan is still useful without a daemon
        print(exc.message, file=sys.stderr)
        print("syncwright budget: showing the offline plan instead", file=sys.stderr)
        return offline_budget(args.config, as_json=args.json)


def live_budget(args: argparse.Namespace) -> int:
    from syncwright.daemon.ops.planner import format_report, report_from_json

    with connect.daemon(args) as client:
        reply = client.call("budgets")
    if args.json:
        emit("budget", {"source": "daemon", **reply})
    else:
        print(format_budgets(reply["budgets"]))
        if reply.get("plan") is not None:
            print(format_report(report_from_json(reply["plan"])))
    return ExitCode.OK


def offline_budget(config_path: Path, *, as_json: bool = False) -> int:
    """The planner computed from the config and the state file."""
    from syncwright.daemon.ops.planner import format_report
    from syncwright.daemon.ops.planner_history import offline_report

    report = offline_report(offline.load(config_path))
    if as_json:
        emit("budget", {"source": "offline", "budgets": None, "plan": report.to_json()})
    else:
        print(format_report(report))
    return ExitCode.OK


def format_budgets(budgets: list[dict[str, Any]]) -> str:
    from syncwright.daemon.clock import iso

    rows = [("SYSTEM", "WINDOW", "USED", "LIMIT", "RESETS", "RUNS OUT", "BLOCKED UNTIL")]
    for b in budgets:
        for w in b["windows"]:
            rows.append(
                (
                    b["system"],
                    f"{w['name']} ({w['mode']})",
                    f"{w['used']:g}",
                    f"{w['limit']:g}",
                    iso(w["resets_at"]) or "-",
                    iso(w["runs_out_at"]) or "-",
                    iso(b["blocked_until"]) or "-",
                )
            )
    return table(rows)
